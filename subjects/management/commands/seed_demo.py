"""Load realistic Belgian demo data in bulk: `python manage.py seed_demo --subjects N`.

Dutch-, French- and German-speaking people with Belgian addresses and +32 phone numbers, and
data in every category of the subjects app's data map: logins, business contacts, contact
requests, orders with lines (card brand and last four digits only), device identifiers,
browsing history, survey responses ("Find an installer" ratings among them), a few
applications and rare legal holds. Dates spread over the past three years; some people have
been inactive for more than two (policy §6), so the retention jobs have work to show.

Every demo subject's and login's e-mail is at the reserved domain `demo.example` (RFC 2606: it
can never reach anyone), and every demo order number starts with `DEMO-`. That is how the
command recognises demo data: it refuses a database holding any other data (a subject or login
elsewhere, an anonymised real order) unless `--allow-non-demo-data` is given, and `--if-empty`
(used by `make run`) does nothing once demo subjects exist. It also makes sure the demo staff
login exists, which the README names.

Fast by design (bench/seed_demo.py measures it): Faker only fills pools of names once, values
are drawn from them with one seeded `random.Random`, rows are written with `bulk_create` one
batch of subjects per transaction, and nothing but the current batch is held in memory.
"""

from __future__ import annotations

import itertools
import random
import re
import time
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, reset_queries, transaction
from django.utils import timezone

from subjects.models import (
    Application,
    BrowsingEvent,
    BusinessContact,
    ContactRequest,
    DataSubject,
    DeviceIdentifier,
    LegalHold,
    Order,
    OrderLine,
    ProcessingLimit,
    PurposeCode,
    SurveyResponse,
)
from velux_privacy.calendar import local_date
from velux_privacy.models import User

DEMO_DOMAIN = "demo.example"
DEMO_ORDER_PREFIX = "DEMO-"
STAFF_EMAIL = f"staff@{DEMO_DOMAIN}"
# Published in the README: the demo's staff login, created only in a demo database.
STAFF_PASSWORD = "velux-demo-staff"  # noqa: S105
DEFAULT_SEED = 20180525  # the day the GDPR began to apply
DEFAULT_SUBJECTS = 200
BATCH_SIZE = 2_000
# Rows per INSERT for the big child tables (browsing events): bounded statements.
INSERT_BATCH_SIZE = 5_000

DEMO_NUMBER = re.compile(r"\.(\d+)@" + re.escape(DEMO_DOMAIN) + "$")

# The order rows are inserted in: each model after those it points to.
INSERT_ORDER: tuple[type[models.Model], ...] = (
    User,
    EmailAddress,
    DataSubject,
    BusinessContact,
    ContactRequest,
    Order,
    OrderLine,
    DeviceIdentifier,
    BrowsingEvent,
    SurveyResponse,
    Application,
    LegalHold,
    ProcessingLimit,
)

YEAR = timedelta(days=365.25)

Rows = dict[type[models.Model], list[models.Model]]

# Shares of the population, and how often a person has data of each kind.
LANGUAGE_WEIGHTS = {"nl": 0.57, "fr": 0.41, "de": 0.02}
NO_WEBSITE_ACTIVITY = 0.10  # known only from a branch, the phone or a business relation
INACTIVE_OVER_2Y = 0.30  # of those created more than two years ago
CONTACT_DETAILS_ONLY_EMAIL = 0.12
HAS_LOGIN = 0.12
HAS_DEVICES = 0.70  # of those with website activity: accepted tracking cookies
HAS_CONTACT_REQUEST = 0.45
HAS_ORDER = 0.28
HAS_SURVEY_RESPONSE = 0.20
HAS_BUSINESS_CONTACT = 0.04
HAS_APPLICATION = 0.004
HAS_OBJECTION = 0.01  # objected to business development (§2.4, GDPR Art. 21)
HAS_LEGAL_HOLD = 0.0015


@dataclass(frozen=True)
class City:
    postal_code: str
    names: dict[str, str]  # by language; one name unless the municipality is bilingual
    phone_zone: str

    def name(self, language: str) -> str:
        return self.names.get(language) or next(iter(self.names.values()))


def _cities(zone_rows: str) -> list[City]:
    cities = []
    for line in zone_rows.strip().splitlines():
        postal_code, phone_zone, *names = (part.strip() for part in line.split("|"))
        by_language = dict(name.split("=", 1) for name in names) if "=" in names[0] else {}
        cities.append(City(postal_code, by_language or {"": names[0]}, phone_zone))
    return cities


FLANDERS = _cities("""
    2000|3|Antwerpen
    2018|3|Antwerpen
    2100|3|Deurne
    2200|14|Herentals
    2300|14|Turnhout
    2400|14|Mol
    2500|3|Lier
    2800|15|Mechelen
    2900|3|Schoten
    2930|3|Brasschaat
    3000|16|Leuven
    3080|2|Tervuren
    3200|16|Aarschot
    3300|16|Tienen
    3500|11|Hasselt
    3600|89|Genk
    3700|12|Tongeren
    3800|11|Sint-Truiden
    3900|11|Pelt
    1500|2|Halle
    1700|2|Dilbeek
    1800|2|Vilvoorde
    1930|2|Zaventem
    8000|50|Brugge
    8300|50|Knokke-Heist
    8400|59|Oostende
    8500|56|Kortrijk
    8700|51|Tielt
    8800|51|Roeselare
    8900|57|Ieper
    9000|9|Gent
    9100|3|Sint-Niklaas
    9200|52|Dendermonde
    9300|53|Aalst
    9400|54|Ninove
    9600|55|Ronse
    9700|55|Oudenaarde
    9800|9|Deinze
    9900|9|Eeklo
""")
BRUSSELS = _cities("""
    1000|2|nl=Brussel|fr=Bruxelles
    1030|2|nl=Schaarbeek|fr=Schaerbeek
    1040|2|nl=Etterbeek|fr=Etterbeek
    1050|2|nl=Elsene|fr=Ixelles
    1060|2|nl=Sint-Gillis|fr=Saint-Gilles
    1070|2|nl=Anderlecht|fr=Anderlecht
    1080|2|nl=Sint-Jans-Molenbeek|fr=Molenbeek-Saint-Jean
    1090|2|nl=Jette|fr=Jette
    1150|2|nl=Sint-Pieters-Woluwe|fr=Woluwe-Saint-Pierre
    1180|2|nl=Ukkel|fr=Uccle
    1190|2|nl=Vorst|fr=Forest
    1200|2|nl=Sint-Lambrechts-Woluwe|fr=Woluwe-Saint-Lambert
""")
WALLONIA = _cities("""
    1300|10|Wavre
    1340|10|Ottignies
    1348|10|Louvain-la-Neuve
    1400|67|Nivelles
    1410|2|Waterloo
    4000|4|Liège
    4020|4|Liège
    4100|4|Seraing
    4300|19|Waremme
    4500|85|Huy
    4600|4|Visé
    4800|87|Verviers
    4900|87|Spa
    5000|81|Namur
    5100|81|Jambes
    5300|85|Andenne
    5500|82|Dinant
    6000|71|Charleroi
    6040|71|Jumet
    6200|71|Châtelet
    6600|61|Bastogne
    6700|63|Arlon
    6800|61|Libramont-Chevigny
    6900|84|Marche-en-Famenne
    7000|65|Mons
    7100|64|La Louvière
    7300|65|Boussu
    7500|69|Tournai
    7700|56|Mouscron
    7800|68|Ath
""")
EAST_BELGIUM = _cities("""
    4700|87|Eupen
    4701|87|Kettenis
    4710|87|Lontzen
    4711|87|Walhorn
    4720|87|Kelmis
    4721|87|Neu-Moresnet
    4728|87|Hergenrath
    4730|87|Raeren
    4731|87|Eynatten
    4750|80|Bütgenbach
    4760|80|Büllingen
    4770|80|Amel
    4780|80|Sankt Vith
    4790|80|Burg-Reuland
""")
# Where each language community lives: (cities, weight).
HOMES = {
    "nl": [(FLANDERS, 0.88), (BRUSSELS, 0.12)],
    "fr": [(WALLONIA, 0.70), (BRUSSELS, 0.30)],
    "de": [(EAST_BELGIUM, 0.90), (WALLONIA, 0.10)],
}

# Faker's fr_BE has no Belgian addresses (it falls back to en_US) and nl_BE invents street
# names: streets are the common ones of each language area instead.
STREETS = {
    "nl": """Kerkstraat Stationsstraat Molenstraat Dorpsstraat Nieuwstraat Schoolstraat
        Kapelstraat Beekstraat Veldstraat Lindenlaan Kastanjelaan Hoogstraat Kouter Markt
        Meersstraat Bosstraat Hoevestraat Populierenlaan Vijverstraat Steenweg Brugstraat
        Heidestraat Zandstraat Groenstraat Pastoor_Cooremansstraat""",
    "fr": """Rue_de_l'Église Rue_de_la_Station Rue_du_Moulin Rue_Haute Rue_des_Écoles
        Avenue_des_Tilleuls Rue_du_Centre Place_Communale Chaussée_de_Bruxelles Rue_Neuve
        Rue_de_la_Chapelle Rue_des_Champs Avenue_de_la_Gare Rue_du_Bois Rue_Saint-Jean
        Rue_de_la_Fontaine Rue_du_Château Rue_des_Prés Avenue_Albert_Ier Rue_de_Namur""",
    "de": """Kirchstraße Bahnhofstraße Hauptstraße Schulstraße Aachener_Straße Neustraße
        Klosterstraße Gospertstraße Bergstraße Lindenallee Mühlenweg Marktplatz Talstraße
        Hochstraße Herbesthaler_Straße Rotenberg Malmedyer_Straße Feldweg Wiesenweg""",
}
UNIT = {"nl": " bus {n}", "fr": " boîte {n}", "de": "/{n}"}

MOBILE_PREFIXES = ["460", "465", "466", "467", "468", *(str(p) for p in range(470, 500))]


@dataclass(frozen=True)
class Product:
    code: str
    descriptions: dict[str, str]
    unit_price: Decimal
    kind: str  # window, flashing, accessory, blind, shutter


def _products() -> list[Product]:
    rows = [
        ("GGL MK04 2070", "window", "419.00", "Tuimelvenster 78x98",
         "Fenêtre à rotation 78x98", "Schwingfenster 78x98"),
        ("GGL MK06 2070", "window", "469.00", "Tuimelvenster 78x118",
         "Fenêtre à rotation 78x118", "Schwingfenster 78x118"),
        ("GGU MK06 0070", "window", "559.00", "Tuimelvenster wit polyurethaan 78x118",
         "Fenêtre à rotation blanche polyuréthane 78x118", "Schwingfenster weiß 78x118"),
        ("GPL MK06 2070", "window", "639.00", "Uitzettuimelvenster 78x118",
         "Fenêtre à projection 78x118", "Klapp-Schwingfenster 78x118"),
        ("GGL MK06 207021U", "window", "1149.00", "Elektrisch tuimelvenster INTEGRA 78x118",
         "Fenêtre à rotation électrique INTEGRA 78x118", "Elektro-Schwingfenster INTEGRA"),
        ("CVP 060090 0673Q", "window", "899.00", "Platdakraam 60x90",
         "Fenêtre pour toit plat 60x90", "Flachdach-Fenster 60x90"),
        ("TWR 014 0010", "window", "399.00", "Lichtkoker", "Conduit de lumière",
         "Tageslicht-Spot"),
        ("EDW MK06 0000", "flashing", "119.00", "Gootstuk voor pannen",
         "Raccord pour tuiles", "Eindeckrahmen für Ziegel"),
        ("BDX MK06 2000", "accessory", "69.00", "Isolatiekraag", "Kit d'isolation",
         "Dämmrahmen"),
        ("BFX MK06 1000", "accessory", "32.00", "Aansluitmanchet",
         "Collerette d'étanchéité", "Anschlussschürze"),
        ("DKL MK06 1100S", "blind", "109.00", "Verduisterend rolgordijn",
         "Store occultant", "Verdunkelungsrollo"),
        ("MHL MK06 5060", "blind", "129.00", "Buitenzonwering", "Store extérieur pare-soleil",
         "Hitzeschutz-Markise"),
        ("SSL MK06 0000S", "shutter", "649.00", "Rolluik op zonne-energie",
         "Volet roulant solaire", "Solar-Rollladen"),
    ]  # fmt: skip
    return [
        Product(code, {"nl": nl, "fr": fr, "de": de}, Decimal(price), kind)
        for code, kind, price, nl, fr, de in rows
    ]


PRODUCTS = _products()
WINDOWS = [p for p in PRODUCTS if p.kind == "window"]
EXTRAS = [p for p in PRODUCTS if p.kind != "window"]

BROWSING = {
    "nl": (
        "/nl-be",
        {
            "products": "producten",
            "windows": "dakramen",
            "decor": "raamdecoratie",
            "shutters": "rolluiken",
            "flat": "platdakramen",
            "inspiration": "inspiratie/zolder-inrichten",
            "advice": "advies/dakraam-vervangen",
            "installer": "vind-een-installateur",
            "search": "zoeken",
            "downloads": ["brochure-dakramen.pdf", "prijslijst.pdf", "montage-ggl.pdf"],
            "queries": ["rolluik", "dakraam+vervangen", "verduisterend", "premie", "lekkage"],
        },
    ),
    "fr": (
        "/fr-be",
        {
            "products": "produits",
            "windows": "fenetres-de-toit",
            "decor": "stores-interieurs",
            "shutters": "volets-roulants",
            "flat": "fenetres-pour-toit-plat",
            "inspiration": "inspiration/amenager-les-combles",
            "advice": "conseils/remplacer-une-fenetre-de-toit",
            "installer": "trouver-un-installateur",
            "search": "recherche",
            "downloads": ["brochure-fenetres.pdf", "liste-de-prix.pdf", "montage-ggl.pdf"],
            "queries": ["volet", "remplacement", "occultant", "prime", "infiltration"],
        },
    ),
    "de": (
        "/de-be",
        {
            "products": "produkte",
            "windows": "dachfenster",
            "decor": "sonnenschutz",
            "shutters": "rollladen",
            "flat": "flachdach-fenster",
            "inspiration": "inspiration/dachboden-ausbauen",
            "advice": "ratgeber/dachfenster-austauschen",
            "installer": "installateur-finden",
            "search": "suche",
            "downloads": ["broschuere-dachfenster.pdf", "preisliste.pdf", "montage-ggl.pdf"],
            "queries": ["rollladen", "austausch", "verdunkelung", "foerderung", "undicht"],
        },
    ),
}

CONTACT_MESSAGES = {
    "nl": {
        "information": [
            "Kunnen jullie mij meer informatie sturen over {product}?",
            "Past een {product} in een dak met een helling van 25 graden?",
        ],
        "quote": [
            "Graag een offerte voor {quantity} x {product}, plaatsing inbegrepen.",
            "Wij verbouwen onze zolder. Wat kost een {product} met plaatsing?",
        ],
        "after_sales_visit": [
            "Mijn {product} sluit niet meer goed. Kan er een technieker langskomen?",
            "Na de storm van vorige week lekt er water. Product: {product}.",
        ],
    },
    "fr": {
        "information": [
            "Pourriez-vous m'envoyer plus d'informations sur ce produit : {product} ?",
            "Ce produit convient-il pour un toit en pente de 25 degrés : {product} ?",
        ],
        "quote": [
            "Je souhaite un devis pour {quantity} x {product}, pose comprise.",
            "Nous aménageons nos combles. Quel est le prix de {quantity} x {product}, posé ?",
        ],
        "after_sales_visit": [
            "Produit « {product} » : il ne ferme plus bien. Un technicien peut-il passer ?",
            "Produit « {product} » : de l'eau s'infiltre depuis la tempête.",
        ],
    },
    "de": {
        "information": [
            "Können Sie mir mehr Informationen zu {product} schicken?",
            "Passt {product} in ein Dach mit 25 Grad Neigung?",
        ],
        "quote": [
            "Ich hätte gern ein Angebot für {quantity} x {product}, inklusive Montage.",
            "Wir bauen den Dachboden aus. Was kostet {product} mit Einbau?",
        ],
        "after_sales_visit": [
            "Mein {product} schließt nicht mehr richtig. Kann ein Techniker vorbeikommen?",
            "Seit dem Sturm dringt bei {product} Wasser ein.",
        ],
    },
}

SURVEY_COMMENTS = {
    "nl": [
        "Vlotte plaatsing, alles netjes opgeruimd.",
        "De installateur kwam twee keer te laat.",
        "Goed advies gekregen in de showroom.",
        "Levering duurde langer dan beloofd.",
    ],
    "fr": [
        "Pose rapide, chantier laissé propre.",
        "L'installateur est arrivé en retard deux fois.",
        "Très bons conseils au showroom.",
        "La livraison a pris plus de temps que prévu.",
    ],
    "de": [
        "Schneller Einbau, alles sauber hinterlassen.",
        "Der Installateur kam zweimal zu spät.",
        "Gute Beratung im Ausstellungsraum.",
        "Die Lieferung dauerte länger als versprochen.",
    ],
}

COMPANY = {
    "installer": {
        "nl": ["Dakwerken {name}", "{name} Dakwerken BV", "Schrijnwerkerij {name}"],
        "fr": ["Toitures {name}", "{name} Toiture SRL", "Menuiserie {name}"],
        "de": ["Dachdeckerei {name}", "{name} Bedachungen GmbH", "Schreinerei {name}"],
    },
    "distributor": {
        "nl": ["Bouwmaterialen {name}", "{name} Bouwhandel NV"],
        "fr": ["Matériaux {name}", "{name} Négoce SA"],
        "de": ["Baustoffe {name}", "{name} Baustoffhandel AG"],
    },
    "business": {
        "nl": ["{name} BV", "{name} NV", "{name} & Zonen BV"],
        "fr": ["{name} SRL", "{name} SA", "{name} & Fils SRL"],
        "de": ["{name} GmbH", "{name} AG", "{name} & Söhne GmbH"],
    },
}
JOB_TITLES = {
    "nl": ["Aankoper", "Zaakvoerder", "Projectleider", "Accountmanager", "Boekhouder"],
    "fr": ["Acheteur", "Gérant", "Chef de projet", "Responsable commercial", "Comptable"],
    "de": ["Einkäufer", "Geschäftsführer", "Projektleiter", "Kundenbetreuer", "Buchhalter"],
}
BUSINESS_NOTES = {
    "nl": ["", "Jaarlijkse prijsafspraak.", "Levert verpakkingsmateriaal.", "Bezoek per kwartaal."],
    "fr": ["", "Accord de prix annuel.", "Fournit les emballages.", "Visite trimestrielle."],
    "de": ["", "Jährliche Preisabsprache.", "Liefert Verpackungen.", "Besuch pro Quartal."],
}
APPLICATIONS = {
    "nl": {
        "job": ["Technisch adviseur", "Binnendienstmedewerker verkoop", "Magazijnmedewerker"],
        "supplier": ["Levering van verpakkingsmateriaal", "Onderhoud van de showroom"],
        "experience": "{years} jaar ervaring in de bouwsector.",
        "references": "Referentie van vorige werkgever, contactgegevens op aanvraag.",
        "checks": "Diploma nagekeken.",
    },
    "fr": {
        "job": ["Conseiller technique", "Employé commercial interne", "Magasinier"],
        "supplier": ["Fourniture d'emballages", "Entretien du showroom"],
        "experience": "{years} ans d'expérience dans la construction.",
        "references": "Référence de l'employeur précédent, coordonnées sur demande.",
        "checks": "Diplôme vérifié.",
    },
    "de": {
        "job": ["Technischer Berater", "Vertriebsinnendienst", "Lagermitarbeiter"],
        "supplier": ["Lieferung von Verpackungen", "Wartung des Ausstellungsraums"],
        "experience": "{years} Jahre Erfahrung im Baugewerbe.",
        "references": "Referenz des früheren Arbeitgebers, Kontaktdaten auf Anfrage.",
        "checks": "Diplom geprüft.",
    },
}
LEGAL_HOLDS = [
    ("Art. 315 WIB 92", "Fiscale controle van de facturen aan de klant.", "FOD Financiën"),
    ("Art. 315 CIR 92", "Contrôle fiscal des factures adressées au client.", "SPF Finances"),
    ("Art. 877 Ger.W.", "Bevel tot overlegging van stukken in een lopend geschil.",
     "Ondernemingsrechtbank Gent"),
    ("Art. 877 C.jud.", "Ordre de production de documents dans un litige en cours.",
     "Tribunal de l'entreprise de Liège"),
]  # fmt: skip

CARD_BRANDS = [
    (Order.CardBrand.BANCONTACT, 0.55),
    (Order.CardBrand.MASTERCARD, 0.20),
    (Order.CardBrand.VISA, 0.18),
    (Order.CardBrand.MAESTRO, 0.04),
    (Order.CardBrand.AMEX, 0.03),
]


class Command(BaseCommand):
    help = (
        "Load realistic Belgian demo data (subjects at @demo.example) and the demo staff "
        "login. Refuses a database holding other data unless --allow-non-demo-data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--subjects",
            type=int,
            default=DEFAULT_SUBJECTS,
            help=f"how many data subjects to create (default {DEFAULT_SUBJECTS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="random seed: the same seed on the same database gives the same people, "
            f"with dates relative to now (default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when demo subjects already exist (make run loads the demo once)",
        )
        parser.add_argument(
            "--allow-non-demo-data",
            action="store_true",
            help="add demo data although the database holds other data (subjects or logins "
            "outside @demo.example, anonymised orders)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"subjects per transaction (default {BATCH_SIZE})",
        )

    def handle(self, *args, **options) -> None:
        subjects = options["subjects"]
        batch_size = options["batch_size"]
        if subjects < 0 or batch_size < 1:
            raise CommandError("--subjects must be 0 or more and --batch-size 1 or more.")
        started = time.monotonic()
        demo_subjects = DataSubject.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")

        if options["if_empty"] and demo_subjects.exists():
            self.stdout.write("Demo data already loaded: nothing to do.")
            self._staff_login_ensure()
            return
        if not options["allow_non_demo_data"]:
            found = _non_demo_data_found()
            if found:
                raise CommandError(
                    f"This database holds {'; '.join(found)}: it does not look like a demo "
                    "database, so no demo data was added. Use --allow-non-demo-data to add "
                    "demo data anyway."
                )

        generator = DemoDataGenerator(seed=options["seed"], first_number=_next_demo_number())
        created: Counter[str] = Counter()
        for start in range(0, subjects, batch_size):
            rows = generator.batch(start=start, size=min(batch_size, subjects - start))
            with transaction.atomic():
                for model in INSERT_ORDER:
                    objects = rows.get(model, [])
                    if objects:
                        model._default_manager.bulk_create(objects, batch_size=INSERT_BATCH_SIZE)
                        created[model.__name__] += len(objects)
            del rows
            # With DEBUG on Django keeps every statement it ran: forget this batch's.
            reset_queries()

        elapsed = time.monotonic() - started
        summary = ", ".join(f"{model.__name__} {created[model.__name__]}" for model in INSERT_ORDER)
        self.stdout.write(f"Demo data created in {elapsed:.1f} s: {summary}.")
        self._staff_login_ensure()

    def _staff_login_ensure(self) -> None:
        """The demo staff login (README): created once, never changed if it exists.

        Only in development: a superuser with a published password has no place on a server
        running with DEBUG off (e.g. the compose stack), where `createsuperuser` is the way.
        """
        if not settings.DEBUG:
            self.stdout.write(
                "No demo staff login with DEBUG off: create one with `manage.py createsuperuser`."
            )
            return
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is not None:
            state = "exists"
        else:
            staff = User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)
            state = "created"
        # Staff sign in through allauth, which asks for a verified e-mail address (also for a
        # demo staff login made before staff signed in that way).
        EmailAddress.objects.update_or_create(
            user=staff, email=STAFF_EMAIL, defaults={"verified": True, "primary": True}
        )
        # And with a second factor (velux_privacy.mfa): the demo login has a TOTP secret of
        # its own, made once, printed each time, for an authenticator app or the command that
        # shows the current code (DEBUG only).
        from allauth.mfa.adapter import get_adapter as mfa_adapter
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        totp = Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).first()
        if totp is None:
            secret = generate_totp_secret()
            TOTP.activate(staff, secret)
        else:
            secret = mfa_adapter().decrypt(totp.data["secret"])
        self.stdout.write(f"Demo staff login ({state}): {STAFF_EMAIL} / {STAFF_PASSWORD}")
        self.stdout.write(
            f"  second factor: TOTP secret {secret} (add it to an authenticator app, "
            f"or run `.venv/bin/python manage.py staff_totp_code {STAFF_EMAIL}`)"
        )


def _non_demo_data_found() -> list[str]:
    """What the database holds that is not demo data, in words; empty for a demo database.

    A few EXISTS queries suffice. Every other row in `INSERT_ORDER` reaches a data subject or a
    login through foreign keys that cannot be empty (a browsing event's subject, an order
    line's order, an e-mail address's login), and the database keeps them pointing at rows
    that exist: once every subject and login is at @demo.example, so is every row linked to
    one. The one link that may be empty is an order's subject, emptied when erasure anonymises
    an order kept in the books; the demo's own orders are told apart by their number.
    tests/subjects/test_seed_demo.py checks that claim against the data map.
    """
    demo = f"@{DEMO_DOMAIN}"
    checks = (
        (
            f"data subjects whose e-mail is not {demo}",
            DataSubject.objects.exclude(email__endswith=demo),
        ),
        (f"logins whose e-mail is not {demo}", User.objects.exclude(email__endswith=demo)),
        (
            f"login e-mail addresses not at {demo}",
            EmailAddress.objects.exclude(email__endswith=demo),
        ),
        (
            "orders with no data subject (anonymised orders)",
            Order.objects.filter(subject__isnull=True).exclude(
                number__startswith=DEMO_ORDER_PREFIX
            ),
        ),
    )
    return [description for description, rows in checks if rows.exists()]


def _next_demo_number() -> int:
    """One more than the highest number in a demo e-mail, so a second run adds new people.

    Read from the e-mails rather than the primary keys: erasure may have deleted the newest
    subjects, and their numbers must not come back.
    """
    highest = 0
    emails = DataSubject.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").values_list(
        "email", flat=True
    )
    for email in emails.iterator(chunk_size=20_000):
        match = DEMO_NUMBER.search(email)
        if match:
            highest = max(highest, int(match[1]))
    return highest + 1


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9-]", "", ascii_name.lower())


class Draw:
    """Items drawn by weight: `rng.choices` with cumulative weights computed once."""

    def __init__(self, weighted: list[tuple[object, float]]) -> None:
        self.items = [item for item, _weight in weighted]
        self.cumulative = list(itertools.accumulate(weight for _item, weight in weighted))

    def __call__(self, rng: random.Random):
        return rng.choices(self.items, cum_weights=self.cumulative)[0]


def _name_pools(seed: int) -> dict[str, tuple[list[str], list[str]]]:
    """First and last names per language, drawn from Faker once (it is slow per call)."""
    try:
        from faker import Faker
    except ImportError as error:  # pragma: no cover - Faker is in the locked dependencies
        raise CommandError("seed_demo needs Faker (pip install faker).") from error

    pools = {}
    for language, locales in {"nl": ["nl_BE"], "fr": ["fr_BE"], "de": ["de_DE", "de_AT"]}.items():
        firsts: dict[str, None] = {}
        lasts: dict[str, None] = {}
        for locale in locales:
            fake = Faker(locale)
            fake.seed_instance(seed)
            for _ in range(1_200 // len(locales)):
                firsts[fake.first_name()] = None
                lasts[fake.last_name()] = None
        # dicts, not sets: their order does not depend on the hash seed, so runs reproduce.
        pools[language] = (list(firsts), list(lasts))
    return pools


class DemoDataGenerator:
    """Builds unsaved model instances for one batch of demo subjects at a time.

    Subject number `first_number + i` (in the e-mail and the order numbers) keeps them unique
    across runs; the random stream is seeded with the seed and that first number.
    """

    def __init__(self, *, seed: int, first_number: int) -> None:
        self.rng = random.Random(f"{seed}:{first_number}")
        self.first_number = first_number
        self.now = timezone.now()
        self.names = _name_pools(seed)
        rng = self.rng
        self.language = Draw(list(LANGUAGE_WEIGHTS.items()))
        self.home = {
            language: Draw(
                [(city, weight / len(cities)) for cities, weight in areas for city in cities]
            )
            for language, areas in HOMES.items()
        }
        self.streets = {
            language: [street.replace("_", " ") for street in streets.split()]
            for language, streets in STREETS.items()
        }
        self.companies = {
            kind: {
                language: [
                    rng.choice(patterns).format(name=rng.choice(self.names[language][1]))
                    for _ in range(60)
                ]
                for language, patterns in by_language.items()
            }
            for kind, by_language in COMPANY.items()
        }
        self.browsing = {language: self._browsing_pool(language) for language in BROWSING}
        self.card_brand = Draw(CARD_BRANDS)
        self.rating = Draw([(1, 0.04), (2, 0.06), (3, 0.15), (4, 0.35), (5, 0.40)])

    # One batch -----------------------------------------------------------------------------

    def batch(self, *, start: int, size: int) -> Rows:
        """Unsaved rows for subjects `start` to `start + size - 1` of this run, by model.

        Children point to their unsaved parents; `bulk_create` fills in the keys once the
        parents have them, so the rows must be inserted in `INSERT_ORDER`.
        """
        rows: Rows = {model: [] for model in INSERT_ORDER}
        for index in range(start, start + size):
            self._person(index, rows)
        return rows

    def _person(self, index: int, rows: Rows) -> None:
        rng = self.rng
        # The first people of a run show every kind of data (a guarantee for small runs):
        # person 0 has a bit of everything, person 1 a legal hold, person 2 has been inactive
        # for over two years (policy §6); 0 to 2 speak nl, fr and de.
        showcase = index == 0
        language = ("nl", "fr", "de")[index] if index < 3 else self.language(rng)
        number = self.first_number + index
        first_names, last_names = self.names[language]
        first_name, last_name = rng.choice(first_names), rng.choice(last_names)
        email = f"{_slug(first_name)}.{_slug(last_name)}.{number}@{DEMO_DOMAIN}"

        created_at = self.now - YEAR * 3 * rng.random()
        two_years_ago = self.now - YEAR * 2
        inactive = index == 2
        if inactive:
            created_at = self.now - YEAR * (2.5 + 0.5 * rng.random())
        activity = rng.random()
        if activity < NO_WEBSITE_ACTIVITY and not (showcase or inactive):
            last_activity_at = None
        elif inactive or (
            created_at < two_years_ago and activity < NO_WEBSITE_ACTIVITY + INACTIVE_OVER_2Y
        ):
            last_activity_at = self._between(created_at, two_years_ago)
        else:
            # Recent activity is likelier than old.
            since = max(created_at, two_years_ago)
            last_activity_at = self.now - (self.now - since) * rng.random() ** 2
        until = last_activity_at or self.now

        city = self.home[language](rng)
        email_only = rng.random() < CONTACT_DETAILS_ONLY_EMAIL and not showcase
        subject = DataSubject(
            email=email,
            first_name=first_name,
            last_name=last_name,
            phone="" if email_only else self._phone(city),
            street="" if email_only else self._street(language),
            postal_code="" if email_only else city.postal_code,
            city="" if email_only else city.name(language),
            country="BE",
            preferred_language=language,
            created_at=created_at,
            last_activity_at=last_activity_at,
        )
        rows[DataSubject].append(subject)

        if last_activity_at is not None and (showcase or rng.random() < HAS_LOGIN):
            joined = self._between(created_at, until)
            user = User(
                email=email,
                password=make_password(None),  # unusable: demo customers do not log in
                date_joined=joined,
                last_login=self._between(joined, until),
            )
            subject.user = user
            rows[User].append(user)
            rows[EmailAddress].append(
                EmailAddress(user=user, email=email, verified=True, primary=True)
            )
        if last_activity_at is not None and (showcase or rng.random() < HAS_DEVICES):
            self._browsing(subject, language, created_at, last_activity_at, rows)
        if showcase or rng.random() < HAS_CONTACT_REQUEST:
            for _ in range(rng.choice((1, 1, 1, 1, 2, 2, 3))):
                rows[ContactRequest].append(self._contact_request(subject, language, until))
        if showcase or rng.random() < HAS_ORDER:
            for sequence in range(1, rng.choice((1, 1, 1, 1, 1, 2)) + 1):
                self._order(subject, language, number, sequence, until, rows)
        if showcase or rng.random() < HAS_SURVEY_RESPONSE:
            for _ in range(rng.choice((1, 1, 1, 2))):
                rows[SurveyResponse].append(self._survey_response(subject, language, until))
        if showcase or rng.random() < HAS_BUSINESS_CONTACT:
            rows[BusinessContact].append(self._business_contact(subject, language))
        if showcase or rng.random() < HAS_APPLICATION:
            rows[Application].append(self._application(subject, language, until))
        if index == 1 or rng.random() < HAS_LEGAL_HOLD:
            rows[LegalHold].append(self._legal_hold(subject))
        if showcase or rng.random() < HAS_OBJECTION:
            rows[ProcessingLimit].append(
                ProcessingLimit(
                    subject=subject,
                    kind=ProcessingLimit.Kind.OBJECTION,
                    purpose=PurposeCode.BUSINESS_DEVELOPMENT,
                    reason="Bezwaar tegen het gebruik voor productontwikkeling.",
                    # After the person's last website activity: nothing the objection stops
                    # (§2.4, GDPR Art. 21) is recorded after it.
                    started_at=self._between(until, self.now),
                )
            )

    # Values ---------------------------------------------------------------------------------

    def _between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.random()

    def _company(self, kind: str, language: str, *, share: float = 1.0) -> str:
        """A company name of this kind and language, or "" for the rest of `share`."""
        if self.rng.random() >= share:
            return ""
        return self.rng.choice(self.companies[kind][language])

    def _phone(self, city: City) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            return f"+32 {rng.choice(MOBILE_PREFIXES)} {rng.randrange(100):02d} " + (
                f"{rng.randrange(100):02d} {rng.randrange(100):02d}"
            )
        zone = city.phone_zone
        if len(zone) == 1:
            return (
                f"+32 {zone} {rng.randrange(200, 1000)} {rng.randrange(100):02d} "
                f"{rng.randrange(100):02d}"
            )
        return (
            f"+32 {zone} {rng.randrange(20, 100)} {rng.randrange(100):02d} {rng.randrange(100):02d}"
        )

    def _street(self, language: str) -> str:
        rng = self.rng
        street = f"{rng.choice(self.streets[language])} {rng.randrange(1, 250)}"
        if rng.random() < 0.12:
            street += UNIT[language].format(n=rng.randrange(1, 30))
        return street

    def _browsing_pool(self, language: str) -> list[tuple[str, str]]:
        root, words = BROWSING[language]
        products = f"{root}/{words['products']}"
        pages = [
            (BrowsingEvent.EventType.PAGE_VIEW, root, 12),
            (BrowsingEvent.EventType.PAGE_VIEW, f"{products}/{words['windows']}", 10),
            (BrowsingEvent.EventType.PAGE_VIEW, f"{products}/{words['decor']}", 5),
            (BrowsingEvent.EventType.PAGE_VIEW, f"{products}/{words['shutters']}", 5),
            (BrowsingEvent.EventType.PAGE_VIEW, f"{products}/{words['flat']}", 3),
            (BrowsingEvent.EventType.PAGE_VIEW, f"{root}/{words['inspiration']}", 6),
            (BrowsingEvent.EventType.PAGE_VIEW, f"{root}/{words['advice']}", 4),
            (BrowsingEvent.EventType.PAGE_VIEW, f"{root}/{words['installer']}", 5),
            (BrowsingEvent.EventType.CONFIGURATOR, f"{root}/configurator", 4),
        ]
        for product in PRODUCTS:
            path = f"{products}/{product.code.lower().replace(' ', '-')}"
            pages.append((BrowsingEvent.EventType.PRODUCT_VIEW, path, 2))
        for name in words["downloads"]:
            pages.append((BrowsingEvent.EventType.DOWNLOAD, f"{root}/downloads/{name}", 2))
        for query in words["queries"]:
            pages.append((BrowsingEvent.EventType.SEARCH, f"{root}/{words['search']}?q={query}", 1))
        return [(event_type, path) for event_type, path, weight in pages for _ in range(weight)]

    def _browsing(
        self,
        subject: DataSubject,
        language: str,
        created_at: datetime,
        last_activity_at: datetime,
        rows: Rows,
    ) -> None:
        rng = self.rng
        devices = []
        for position in range(rng.choice((1, 1, 1, 2, 2, 3))):
            kind = rng.choice(
                (DeviceIdentifier.Kind.COOKIE_ID,) * 7
                + (DeviceIdentifier.Kind.DEVICE_ID,) * 3
                + (DeviceIdentifier.Kind.ADVERTISING_ID,) * 2
            )
            bits = rng.getrandbits(128)
            if kind == DeviceIdentifier.Kind.COOKIE_ID:
                value = f"{bits:032x}"
            else:
                value = str(uuid.UUID(int=bits, version=4))
                if kind == DeviceIdentifier.Kind.ADVERTISING_ID:
                    value = value.upper()
            first_seen = self._between(created_at, last_activity_at)
            # The first device is the one last seen: it set the last activity.
            last_seen = last_activity_at
            if position:
                last_seen = self._between(first_seen, last_activity_at)
            device = DeviceIdentifier(
                subject=subject,
                kind=kind,
                value=value,
                first_seen_at=first_seen,
                last_seen_at=last_seen,
            )
            devices.append(device)
        rows[DeviceIdentifier].extend(devices)
        pool = self.browsing[language]
        events = rows[BrowsingEvent]
        for _ in range(1 + min(80, int(rng.expovariate(1 / 14)))):
            device = rng.choice(devices)
            event_type, path = rng.choice(pool)
            events.append(
                BrowsingEvent(
                    subject=subject,
                    device=device,
                    occurred_at=self._between(device.first_seen_at, device.last_seen_at),
                    event_type=event_type,
                    path=path,
                )
            )

    def _contact_request(
        self, subject: DataSubject, language: str, until: datetime
    ) -> ContactRequest:
        rng = self.rng
        kind = rng.choice(
            (ContactRequest.Kind.INFORMATION,) * 8
            + (ContactRequest.Kind.QUOTE,) * 9
            + (ContactRequest.Kind.AFTER_SALES_VISIT,) * 3
        )
        channel = rng.choice(
            (ContactRequest.Channel.WEB_FORM,) * 9
            + (ContactRequest.Channel.PHONE,) * 4
            + (ContactRequest.Channel.EMAIL,) * 4
            + (ContactRequest.Channel.BRANCH,) * 2
            + (ContactRequest.Channel.POST,)
        )
        product = rng.choice(WINDOWS if kind != ContactRequest.Kind.INFORMATION else PRODUCTS)
        received_at = self._between(subject.created_at, until)
        recent = self.now - received_at < timedelta(days=30)
        if recent and rng.random() < 0.5:
            status, answered_at = ContactRequest.Status.OPEN, None
        else:
            status = rng.choice((ContactRequest.Status.ANSWERED, ContactRequest.Status.CLOSED))
            answered_at = min(self.now, received_at + timedelta(hours=rng.uniform(2, 240)))
        name = product.descriptions[language]
        if language != "de":  # German nouns keep their capital
            name = name[0].lower() + name[1:]
        message = rng.choice(CONTACT_MESSAGES[language][kind]).format(
            product=name, quantity=rng.randrange(1, 4)
        )
        return ContactRequest(
            subject=subject,
            channel=channel,
            kind=kind,
            product_interest=product.descriptions[language],
            message=message if channel != ContactRequest.Channel.PHONE else "",
            status=status,
            received_at=received_at,
            answered_at=answered_at,
        )

    def _order(
        self,
        subject: DataSubject,
        language: str,
        number: int,
        sequence: int,
        until: datetime,
        rows: Rows,
    ) -> None:
        rng = self.rng
        placed_at = self._between(subject.created_at, until)
        age = self.now - placed_at
        if age < timedelta(days=21):
            status = Order.Status.OPEN
        elif rng.random() < 0.03:
            status = Order.Status.CANCELLED
        elif age < timedelta(days=90):
            status = rng.choice((Order.Status.OPEN, Order.Status.DELIVERED, Order.Status.DELIVERED))
        else:
            status = rng.choice((Order.Status.DELIVERED, Order.Status.CLOSED, Order.Status.CLOSED))
        delivered_at = None
        if status in (Order.Status.DELIVERED, Order.Status.CLOSED):
            delivered_at = placed_at + timedelta(days=rng.uniform(3, 20))
        if subject.street and rng.random() < 0.9:
            street, postal_code, city_name = subject.street, subject.postal_code, subject.city
        else:
            city = self.home[language](rng)
            street, postal_code = self._street(language), city.postal_code
            city_name = city.name(language)
        if rng.random() < 0.72:
            brand, last4 = self.card_brand(rng), f"{rng.randrange(10_000):04d}"
        else:  # bank transfer or paid to the installer: no card
            brand, last4 = Order.CardBrand.NONE, ""

        order = Order(
            subject=subject,
            number=f"{DEMO_ORDER_PREFIX}{number:07d}-{sequence}",
            placed_at=placed_at,
            status=status,
            currency="EUR",
            delivery_street=street,
            delivery_postal_code=postal_code,
            delivery_city=city_name,
            delivery_country="BE",
            installer_name=self._company("installer", language, share=0.55),
            distributor_name=self._company("distributor", language, share=0.45),
            payment_card_brand=brand,
            payment_card_last4=last4,
            delivered_at=delivered_at,
            # Invoiced on delivery (the VAT Code's 10 years run from the invoice's year).
            invoiced_on=local_date(delivered_at) if delivered_at else None,
        )
        window = rng.choice(WINDOWS)
        quantity = rng.choice((1, 1, 1, 2, 2, 3))
        lines = [(window, quantity)]
        for extra in rng.sample(EXTRAS, rng.randrange(0, 4)):
            lines.append((extra, quantity))
        total = Decimal(0)
        for product, count in lines:
            rows[OrderLine].append(
                OrderLine(
                    order=order,
                    product_code=product.code,
                    description=product.descriptions[language],
                    quantity=count,
                    unit_price=product.unit_price,
                )
            )
            total += product.unit_price * count
        order.total_amount = total
        rows[Order].append(order)

    def _survey_response(
        self, subject: DataSubject, language: str, until: datetime
    ) -> SurveyResponse:
        rng = self.rng
        survey = rng.choice(
            (SurveyResponse.Survey.FIND_INSTALLER,) * 9
            + (SurveyResponse.Survey.SATISFACTION,) * 7
            + (SurveyResponse.Survey.SITE_VISIT,) * 4
        )
        rating = self.rating(rng)
        installer_name = ""
        if survey == SurveyResponse.Survey.FIND_INSTALLER:
            installer_name = rng.choice(self.companies["installer"][language])
            answers = {
                "punctuality": self.rating(rng),
                "cleanliness": self.rating(rng),
                "advice": self.rating(rng),
                "would_recommend": rating >= 4,
            }
        elif survey == SurveyResponse.Survey.SATISFACTION:
            answers = {"delivery": self.rating(rng), "product": self.rating(rng),
                       "net_promoter_score": rng.randrange(0, 11)}  # fmt: skip
        else:
            answers = {
                "found_what_i_looked_for": rng.random() < 0.7,
                "visit_reason": rng.choice(("inspiration", "product_info", "installer", "support")),
            }
        return SurveyResponse(
            subject=subject,
            survey=survey,
            installer_name=installer_name,
            rating=rating,
            answers=answers,
            comment=rng.choice(SURVEY_COMMENTS[language]) if rng.random() < 0.35 else "",
            submitted_at=self._between(subject.created_at, until),
        )

    def _business_contact(self, subject: DataSubject, language: str) -> BusinessContact:
        rng = self.rng
        start = self._between(subject.created_at, self.now).date()
        end = None if rng.random() < 0.3 else start + timedelta(days=365 * rng.randrange(1, 4))
        return BusinessContact(
            subject=subject,
            relationship=rng.choice(BusinessContact.Relationship.values),
            company_name=rng.choice(self.companies["business"][language]),
            vat_number=self._vat_number(),
            job_title=rng.choice(JOB_TITLES[language]),
            contract_reference=f"CT-{start.year}-{rng.randrange(1000, 10_000)}",
            contract_start=start,
            contract_end=end,
            notes=rng.choice(BUSINESS_NOTES[language]),
            created_at=subject.created_at,
        )

    def _vat_number(self) -> str:
        """A Belgian enterprise number with a valid check (97 minus the first 8 digits mod 97)."""
        first_eight = f"0{self.rng.randrange(2_000_000, 10_000_000):07d}"
        digits = f"{first_eight}{97 - int(first_eight) % 97:02d}"
        return f"BE{digits[:4]}.{digits[4:7]}.{digits[7:]}"

    def _application(self, subject: DataSubject, language: str, until: datetime) -> Application:
        rng = self.rng
        texts = APPLICATIONS[language]
        kind = Application.Kind.JOB if rng.random() < 0.7 else Application.Kind.SUPPLIER
        submitted_at = self._between(subject.created_at, until)
        status = rng.choice(Application.Status.values)
        decided = status not in Application.OPEN_STATUSES
        return Application(
            subject=subject,
            kind=kind,
            position=rng.choice(texts[kind]),
            experience=texts["experience"].format(years=rng.randrange(1, 25)),
            references=texts["references"] if rng.random() < 0.6 else "",
            checks=texts["checks"] if rng.random() < 0.5 else "",
            source=rng.choice(Application.Source.values),
            status=status,
            submitted_at=submitted_at,
            decided_at=(
                min(self.now, submitted_at + timedelta(days=rng.uniform(5, 60)))
                if decided
                else None
            ),
        )

    def _legal_hold(self, subject: DataSubject) -> LegalHold:
        rng = self.rng
        legal_reference, reason, authority = rng.choice(LEGAL_HOLDS)
        placed_at = self._between(subject.created_at, self.now)
        released = rng.random() < 0.35
        return LegalHold(
            subject=subject,
            legal_reference=legal_reference,
            reason=reason,
            authority=authority,
            placed_at=placed_at,
            released_at=self._between(placed_at, self.now) if released else None,
        )
