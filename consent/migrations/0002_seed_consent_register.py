"""Seed the consent register (policy §2.4, §2.5, §5), its first text versions, the newsletters
and alerts, and the policy version in force (May 2021), in nl, fr, de and en.

Translated fields are set per language (`name_nl` ...); the plain field holds the Dutch text,
the default language. Vendors come from the recipient register (subjects 0002). Reruns update
purposes and newsletters by code; the reverse deletes what was seeded here (only possible while
no ledger entry refers to it).
"""

from datetime import UTC, date, datetime

from django.db import migrations

LANGUAGES = ("nl", "fr", "de", "en")

# Kantara Consent Receipt v1.1, appendix: purpose and personal-data categories.
MARKETING = "6 - Marketing"
THIRD_PARTY_MARKETING = "7 - Marketing Third Parties"
SHARING_FOR_MARKETING = "9 - Sharing for Marketing"
PERSONALISED = "5 - Personalized Experience"
IMPROVE = "16 - Improve Performance"
CORE = "1 - Core Function"

PURPOSES = [
    {
        "code": "email_marketing",
        "policy_purpose": "commercial_communication",
        "contact_channel": "email",
        "display_order": 10,
        "purpose_categories": [MARKETING],
        "pii_categories": ["1 - Biographical", "2 - Contact", "15 - Behavioral"],
        "recipients": [],
        "name": {
            "nl": "Marketing per e-mail",
            "fr": "Marketing par e-mail",
            "de": "Marketing per E-Mail",
            "en": "Marketing by e-mail",
        },
        "description": {
            "nl": (
                "VELUX Belgium mag u per e-mail nieuws, aanbiedingen en inspiratie over "
                "VELUX-producten sturen, op basis van uw naam, e-mailadres en "
                "aankoopgeschiedenis. U kiest hieronder welke nieuwsbrieven en meldingen u "
                "ontvangt, en u schrijft zich met één klik uit vanuit elk bericht."
            ),
            "fr": (
                "VELUX Belgium peut vous envoyer par e-mail des nouvelles, des offres et de "
                "l'inspiration sur les produits VELUX, sur la base de votre nom, de votre "
                "adresse e-mail et de votre historique d'achats. Vous choisissez ci-dessous les "
                "newsletters et alertes que vous recevez, et vous vous désinscrivez en un clic "
                "depuis chaque message."
            ),
            "de": (
                "VELUX Belgium darf Ihnen per E-Mail Neuigkeiten, Angebote und Anregungen zu "
                "VELUX-Produkten senden, auf der Grundlage Ihres Namens, Ihrer E-Mail-Adresse "
                "und Ihrer Kaufhistorie. Unten wählen Sie, welche Newsletter und Hinweise Sie "
                "erhalten; aus jeder Nachricht melden Sie sich mit einem Klick ab."
            ),
            "en": (
                "VELUX Belgium may send you news, offers and inspiration about VELUX products "
                "by e-mail, based on your name, e-mail address and purchase history. Below you "
                "choose which newsletters and alerts you receive, and you unsubscribe with one "
                "click from every message."
            ),
        },
    },
    {
        "code": "phone_marketing",
        "policy_purpose": "commercial_communication",
        "contact_channel": "phone",
        "display_order": 20,
        "purpose_categories": [MARKETING],
        "pii_categories": ["1 - Biographical", "2 - Contact"],
        "recipients": [],
        "name": {
            "nl": "Marketing per telefoon en sms",
            "fr": "Marketing par téléphone et SMS",
            "de": "Marketing per Telefon und SMS",
            "en": "Marketing by phone and text message",
        },
        "description": {
            "nl": (
                "VELUX Belgium mag u bellen of u sms'en met aanbiedingen over VELUX-producten. "
                "Een nummer op de Bel-me-niet-meer-lijst bellen we nooit voor marketing."
            ),
            "fr": (
                "VELUX Belgium peut vous appeler ou vous envoyer des SMS avec des offres sur les "
                "produits VELUX. Nous n'appelons jamais à des fins de marketing un numéro inscrit "
                "sur la liste Ne-m'appelez-plus."
            ),
            "de": (
                "VELUX Belgium darf Sie anrufen oder Ihnen SMS mit Angeboten zu VELUX-Produkten "
                "senden. Eine Nummer auf der belgischen Liste „Ne-m'appelez-plus / "
                "Bel-me-niet-meer“ rufen wir nie zu Werbezwecken an."
            ),
            "en": (
                "VELUX Belgium may call you or send you text messages with offers about VELUX "
                "products. We never call a number on the Do Not Call Me list for marketing."
            ),
        },
    },
    {
        "code": "personalised_advertising",
        "policy_purpose": "commercial_communication",
        "in_cookie_banner": True,
        "gpc_opt_out": True,
        "display_order": 30,
        "cookie_names": ["_gcl_*", "velux_demo_ads*"],
        "consent_mode_signals": ["ad_storage", "ad_personalization"],
        "purpose_categories": [MARKETING, PERSONALISED],
        "pii_categories": ["5 - Network/Service", "15 - Behavioral", "16 - Profiling"],
        "recipients": [
            ("Analytics, tracking and targeting technology providers", "analytics"),
            ("Advertisers and ad networks", "advertisers"),
        ],
        "name": {
            "nl": "Gepersonaliseerde reclame en tracking",
            "fr": "Publicité personnalisée et suivi",
            "de": "Personalisierte Werbung und Tracking",
            "en": "Personalised advertising and tracking",
        },
        "description": {
            "nl": (
                "Cookies en apparaat-ID's die uw surfgedrag op de VELUX-websites bijhouden, "
                "zodat we u reclame tonen die bij uw interesses past."
            ),
            "fr": (
                "Des cookies et identifiants d'appareil qui suivent votre navigation sur les "
                "sites VELUX, pour vous montrer des publicités adaptées à vos centres d'intérêt."
            ),
            "de": (
                "Cookies und Gerätekennungen, die Ihr Surfen auf den VELUX-Websites erfassen, "
                "damit wir Ihnen Werbung zeigen, die zu Ihren Interessen passt."
            ),
            "en": (
                "Cookies and device identifiers that follow your browsing on VELUX websites, so "
                "that we show you advertising that matches your interests."
            ),
        },
    },
    {
        "code": "ad_networks",
        "policy_purpose": "commercial_communication",
        "in_cookie_banner": True,
        "gpc_opt_out": True,
        "display_order": 40,
        "cookie_names": ["_fbp", "IDE", "velux_demo_adnetwork*"],
        "consent_mode_signals": ["ad_user_data"],
        "purpose_categories": [THIRD_PARTY_MARKETING, SHARING_FOR_MARKETING],
        "pii_categories": ["5 - Network/Service", "15 - Behavioral"],
        "recipients": [
            ("Advertisers and ad networks", "advertisers"),
            ("Analytics, tracking and targeting technology providers", "analytics"),
        ],
        "name": {
            "nl": "Reclame via advertentienetwerken, data-uitwisselingsplatformen en "
            "statistiekaanbieders",
            "fr": "Publicité par des régies publicitaires, des plateformes d'échange de données "
            "et des fournisseurs de statistiques",
            "de": "Werbung über Werbenetzwerke, Datenaustauschplattformen und Statistikanbieter",
            "en": "Advertising by ad networks, data-exchange platforms and statistics providers",
        },
        "description": {
            "nl": (
                "Advertentienetwerken en data-uitwisselingsplatformen krijgen gegevens over uw "
                "bezoek (cookie-ID's, bekeken pagina's) om u elders op het internet "
                "VELUX-reclame te tonen en het bereik ervan te meten."
            ),
            "fr": (
                "Des régies publicitaires et des plateformes d'échange de données reçoivent des "
                "données sur votre visite (identifiants de cookies, pages vues) pour vous "
                "montrer des publicités VELUX ailleurs sur Internet et en mesurer la portée."
            ),
            "de": (
                "Werbenetzwerke und Datenaustauschplattformen erhalten Daten über Ihren Besuch "
                "(Cookie-IDs, angesehene Seiten), um Ihnen anderswo im Internet VELUX-Werbung "
                "zu zeigen und deren Reichweite zu messen."
            ),
            "en": (
                "Ad networks and data-exchange platforms receive data about your visit (cookie "
                "IDs, pages viewed) to show you VELUX advertising elsewhere on the internet and "
                "to measure its reach."
            ),
        },
    },
    {
        "code": "social_networks",
        "policy_purpose": "commercial_communication",
        "in_cookie_banner": True,
        "gpc_opt_out": True,
        "display_order": 50,
        "cookie_names": ["velux_demo_social*"],
        "consent_mode_signals": [],
        "purpose_categories": [SHARING_FOR_MARKETING],
        "pii_categories": ["4 - Social Contact", "15 - Behavioral"],
        "recipients": [("Social networks", "social_networks")],
        "name": {
            "nl": "Delen met sociale netwerken",
            "fr": "Partage avec les réseaux sociaux",
            "de": "Weitergabe an soziale Netzwerke",
            "en": "Sharing with social networks",
        },
        "description": {
            "nl": (
                "Pixels en knoppen van sociale netwerken op de VELUX-websites delen wat u "
                "bekijkt met die netwerken, voor reclame daar."
            ),
            "fr": (
                "Les pixels et boutons des réseaux sociaux sur les sites VELUX partagent ce que "
                "vous consultez avec ces réseaux, pour y afficher de la publicité."
            ),
            "de": (
                "Pixel und Schaltflächen sozialer Netzwerke auf den VELUX-Websites teilen, was "
                "Sie ansehen, mit diesen Netzwerken, für Werbung dort."
            ),
            "en": (
                "Social network pixels and buttons on VELUX websites share what you view with "
                "those networks, for advertising there."
            ),
        },
    },
    {
        "code": "third_party_sharing",
        "policy_purpose": "commercial_communication",
        "gpc_opt_out": True,
        "display_order": 60,
        "purpose_categories": [THIRD_PARTY_MARKETING],
        "pii_categories": ["1 - Biographical", "2 - Contact"],
        "recipients": [
            ("VELUX A/S", "group_parent"),
            ("Other VELUX sales companies", "group_sales"),
        ],
        "name": {
            "nl": "Delen met andere bedrijven voor hun eigen marketing",
            "fr": "Partage avec d'autres sociétés pour leur propre marketing",
            "de": "Weitergabe an andere Unternehmen für deren eigenes Marketing",
            "en": "Sharing with other companies for their own marketing",
        },
        "description": {
            "nl": (
                "VELUX Belgium mag uw contactgegevens delen met VELUX A/S en de andere "
                "VELUX-verkoopmaatschappijen, zodat zij u hun eigen commerciële communicatie "
                "kunnen sturen. Uw gegevens worden nooit verkocht of verhuurd."
            ),
            "fr": (
                "VELUX Belgium peut partager vos coordonnées avec VELUX A/S et les autres "
                "sociétés de vente VELUX, afin qu'elles vous envoient leur propre communication "
                "commerciale. Vos données ne sont jamais vendues ni louées."
            ),
            "de": (
                "VELUX Belgium darf Ihre Kontaktdaten an VELUX A/S und die anderen "
                "VELUX-Vertriebsgesellschaften weitergeben, damit diese Ihnen ihre eigene "
                "Werbung senden. Ihre Daten werden nie verkauft oder vermietet."
            ),
            "en": (
                "VELUX Belgium may share your contact details with VELUX A/S and the other "
                "VELUX sales companies so that they can send you their own commercial "
                "communication. Your data is never sold or rented."
            ),
        },
    },
    {
        "code": "analytics_cookies",
        "policy_purpose": "business_development",
        "in_cookie_banner": True,
        "display_order": 70,
        "cookie_names": ["_ga", "_ga_*", "velux_demo_analytics*"],
        "consent_mode_signals": ["analytics_storage"],
        "purpose_categories": [IMPROVE],
        "pii_categories": ["5 - Network/Service", "15 - Behavioral"],
        "recipients": [("Analytics, tracking and targeting technology providers", "analytics")],
        "name": {
            "nl": "Analytische cookies",
            "fr": "Cookies analytiques",
            "de": "Analyse-Cookies",
            "en": "Analytics cookies",
        },
        "description": {
            "nl": (
                "Statistieken over het gebruik van de VELUX-websites (bezochte pagina's, "
                "tijdsduur), om ze te verbeteren. Niet gebruikt voor reclame."
            ),
            "fr": (
                "Des statistiques sur l'utilisation des sites VELUX (pages visitées, durée), "
                "pour les améliorer. Pas utilisées pour la publicité."
            ),
            "de": (
                "Statistiken zur Nutzung der VELUX-Websites (besuchte Seiten, Verweildauer), "
                "um sie zu verbessern. Nicht für Werbung verwendet."
            ),
            "en": (
                "Statistics on how VELUX websites are used (pages visited, time spent), to "
                "improve them. Not used for advertising."
            ),
        },
    },
    {
        "code": "chat_and_content",
        "policy_purpose": "business_development",
        "in_cookie_banner": True,
        "display_order": 80,
        "cookie_names": ["SnapABug*", "velux_demo_chat*"],
        "consent_mode_signals": [],
        "purpose_categories": [CORE, IMPROVE],
        "pii_categories": ["2 - Contact", "5 - Network/Service"],
        "recipients": [("SnapEngage", "web_chat"), ("Showpad", "content_engagement")],
        "name": {
            "nl": "Webchat en inhoud voor partners",
            "fr": "Chat en ligne et contenu pour les partenaires",
            "de": "Webchat und Inhalte für Partner",
            "en": "Web chat and content for partners",
        },
        "description": {
            "nl": (
                "De webchat van SnapEngage gebruikt cookies om een gesprek en de medewerker "
                "bij te houden terwijl u van pagina wisselt; Showpad meet hoe professionele "
                "partners onze inhoud gebruiken. Beide verwerken gegevens buiten de EU, met de "
                "waarborgen uit ons register van ontvangers."
            ),
            "fr": (
                "Le chat de SnapEngage utilise des cookies pour conserver une conversation et "
                "son opérateur d'une page à l'autre ; Showpad mesure l'utilisation de nos "
                "contenus par les partenaires professionnels. Tous deux traitent des données "
                "hors de l'UE, avec les garanties de notre registre des destinataires."
            ),
            "de": (
                "Der Webchat von SnapEngage verwendet Cookies, um ein Gespräch und den "
                "Mitarbeiter beim Seitenwechsel zu behalten; Showpad misst, wie professionelle "
                "Partner unsere Inhalte nutzen. Beide verarbeiten Daten außerhalb der EU, mit "
                "den Garantien aus unserem Empfängerverzeichnis."
            ),
            "en": (
                "SnapEngage's web chat uses cookies to keep a conversation and its operator "
                "across pages; Showpad measures how professional partners use our content. "
                "Both process data outside the EU, under the safeguards in our recipient "
                "register."
            ),
        },
    },
]

NEWSLETTERS = [
    {
        "code": "inspiration",
        "kind": "newsletter",
        "display_order": 10,
        "name": {
            "nl": "VELUX-nieuwsbrief: inspiratie en advies",
            "fr": "Newsletter VELUX : inspiration et conseils",
            "de": "VELUX-Newsletter: Anregungen und Tipps",
            "en": "VELUX newsletter: inspiration and advice",
        },
        "description": {
            "nl": "Eén keer per maand: ideeën voor meer daglicht en frisse lucht in huis.",
            "fr": "Une fois par mois : des idées pour plus de lumière et d'air frais chez vous.",
            "de": "Einmal im Monat: Ideen für mehr Tageslicht und frische Luft zu Hause.",
            "en": "Once a month: ideas for more daylight and fresh air at home.",
        },
    },
    {
        "code": "offers",
        "kind": "newsletter",
        "display_order": 20,
        "name": {
            "nl": "Aanbiedingen en acties",
            "fr": "Offres et promotions",
            "de": "Angebote und Aktionen",
            "en": "Offers and promotions",
        },
        "description": {
            "nl": "Tijdelijke acties op VELUX-dakramen, zonwering en accessoires.",
            "fr": "Les promotions temporaires sur les fenêtres de toit, protections solaires "
            "et accessoires VELUX.",
            "de": "Befristete Aktionen für VELUX-Dachfenster, Sonnenschutz und Zubehör.",
            "en": "Time-limited offers on VELUX roof windows, sun screening and accessories.",
        },
    },
    {
        "code": "new_products",
        "kind": "alert",
        "display_order": 30,
        "name": {
            "nl": "Melding bij nieuwe producten",
            "fr": "Alerte nouveaux produits",
            "de": "Hinweis auf neue Produkte",
            "en": "New product alert",
        },
        "description": {
            "nl": "Een bericht wanneer VELUX in België een nieuw product lanceert.",
            "fr": "Un message lorsque VELUX lance un nouveau produit en Belgique.",
            "de": "Eine Nachricht, wenn VELUX in Belgien ein neues Produkt einführt.",
            "en": "A message when VELUX launches a new product in Belgium.",
        },
    },
]

POLICY = {
    "number": "2021-05",
    "effective_on": date(2021, 5, 1),
    "url": "https://www.velux.be/nl-be/privacybeleid",
    "summary": {
        "nl": "Privacybeleid van VELUX Belgium, laatst bijgewerkt in mei 2021.",
        "fr": "Politique de confidentialité de VELUX Belgium, dernière mise à jour en mai 2021.",
        "de": "Datenschutzerklärung von VELUX Belgium, zuletzt aktualisiert im Mai 2021.",
        "en": "Privacy policy of VELUX Belgium, last updated in May 2021.",
    },
}


def _translated(field: str, texts: dict) -> dict:
    values = {f"{field}_{language}": texts[language] for language in LANGUAGES}
    values[field] = texts["nl"]
    return values


def seed(apps, schema_editor):
    db = schema_editor.connection.alias
    ConsentPurpose = apps.get_model("consent", "ConsentPurpose")
    ConsentPurposeVersion = apps.get_model("consent", "ConsentPurposeVersion")
    Newsletter = apps.get_model("consent", "Newsletter")
    PolicyVersion = apps.get_model("consent", "PolicyVersion")
    Recipient = apps.get_model("subjects", "Recipient")

    purposes = {}
    for entry in PURPOSES:
        defaults = {
            "policy_purpose": entry["policy_purpose"],
            "contact_channel": entry.get("contact_channel", ""),
            "in_cookie_banner": entry.get("in_cookie_banner", False),
            "gpc_opt_out": entry.get("gpc_opt_out", False),
            "cookie_names": entry.get("cookie_names", []),
            "consent_mode_signals": entry.get("consent_mode_signals", []),
            "purpose_categories": entry["purpose_categories"],
            "pii_categories": entry["pii_categories"],
            "display_order": entry["display_order"],
            **_translated("name", entry["name"]),
            **_translated("description", entry["description"]),
        }
        purpose, _created = ConsentPurpose.objects.using(db).update_or_create(
            code=entry["code"], defaults=defaults
        )
        purposes[entry["code"]] = purpose
        purpose.recipients.set(
            [
                recipient
                for name, category in entry["recipients"]
                for recipient in Recipient.objects.using(db).filter(name=name, category=category)
            ]
        )
        if not ConsentPurposeVersion.objects.using(db).filter(purpose=purpose).exists():
            ConsentPurposeVersion.objects.using(db).create(
                purpose=purpose,
                number=purpose.version,
                **_translated("name", entry["name"]),
                **_translated("description", entry["description"]),
            )
    for entry in NEWSLETTERS:
        Newsletter.objects.using(db).update_or_create(
            code=entry["code"],
            defaults={
                "kind": entry["kind"],
                "purpose": purposes["email_marketing"],
                "display_order": entry["display_order"],
                **_translated("name", entry["name"]),
                **_translated("description", entry["description"]),
            },
        )
    PolicyVersion.objects.using(db).update_or_create(
        number=POLICY["number"],
        defaults={
            "effective_on": POLICY["effective_on"],
            "url": POLICY["url"],
            "material": False,
            "published_at": datetime(2021, 5, 1, tzinfo=UTC),
            **_translated("summary", POLICY["summary"]),
        },
    )


def unseed(apps, schema_editor):
    """Deletes by set, without Django's collector (historical models): the database's own
    foreign keys refuse it while a ledger entry or a subscription refers to a seeded row."""
    db = schema_editor.connection.alias
    ConsentPurpose = apps.get_model("consent", "ConsentPurpose")
    ConsentPurposeVersion = apps.get_model("consent", "ConsentPurposeVersion")
    Newsletter = apps.get_model("consent", "Newsletter")
    PolicyVersion = apps.get_model("consent", "PolicyVersion")
    purpose_ids = list(
        ConsentPurpose.objects.using(db)
        .filter(code__in=[entry["code"] for entry in PURPOSES])
        .values_list("pk", flat=True)
    )
    policy_ids = list(
        PolicyVersion.objects.using(db).filter(number=POLICY["number"]).values_list("pk", flat=True)
    )
    # The versions are append-only (triggers on PostgreSQL): the reverse of their seeding lifts
    # them for its own transaction, as an erasure does.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('velux.erasure', 'on', true)")
    changed = PolicyVersion.changed_purposes.through.objects.using(db)
    for rows in (
        Newsletter.objects.using(db).filter(code__in=[n["code"] for n in NEWSLETTERS]),
        ConsentPurpose.recipients.through.objects.using(db).filter(
            consentpurpose_id__in=purpose_ids
        ),
        changed.filter(consentpurpose_id__in=purpose_ids),
        changed.filter(policyversion_id__in=policy_ids),
        ConsentPurposeVersion._base_manager.using(db).filter(purpose_id__in=purpose_ids),
        ConsentPurpose.objects.using(db).filter(pk__in=purpose_ids),
        PolicyVersion.objects.using(db).filter(pk__in=policy_ids),
    ):
        rows._raw_delete(db)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0001_ledger_state_subscriptions_policy_versions"),
        ("subjects", "0002_seed_registers"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
