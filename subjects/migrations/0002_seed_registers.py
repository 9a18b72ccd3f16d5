"""Seed the purpose register (policy §2.1-2.8) and the recipient register (policy §4).

The texts follow the Dutch privacy policy of VELUX Belgium (May 2021), in nl, fr, de and en.
Translated fields are set per language (`name_nl` ...) and the plain field holds the Dutch text,
the default language. Reruns update the rows in place (purposes by code, recipients by name and
category); the reverse deletes exactly the rows seeded here.

Policy §7 still names the EU-US Privacy Shield, annulled by the EU Court of Justice in 2020
(Schrems II): the register records the safeguard actually relied on instead.
"""

from django.db import migrations

LANGUAGES = ("nl", "fr", "de", "en")

PURPOSES = [
    {
        "code": "commercial_activity",
        "section": "2.1",
        "legal_basis": "contract",
        "name": {
            "nl": "Algemene commerciële activiteiten van VELUX",
            "fr": "Activités commerciales générales de VELUX",
            "de": "Allgemeine Geschäftstätigkeit von VELUX",
            "en": "General commercial activities of VELUX",
        },
        "description": {
            "nl": (
                "Om overeenkomsten met particulieren, leveranciers (met inbegrip van "
                "dienstverleners), klanten en andere belanghebbenden op te maken en uit te "
                "voeren, verwerken we meestal de achternaam van de betrokken persoon, zijn of "
                "haar contactgegevens en alle andere informatie die nodig is voor de overeenkomst "
                "of om onze contractuele verplichtingen na te komen."
            ),
            "fr": (
                "Pour établir et exécuter les contrats conclus avec des particuliers, des "
                "fournisseurs (y compris des prestataires de services), des clients et d'autres "
                "parties prenantes, nous traitons généralement le nom de famille de la personne "
                "concernée, ses coordonnées et toute autre information nécessaire au contrat ou "
                "au respect de nos obligations contractuelles."
            ),
            "de": (
                "Um Verträge mit Privatpersonen, Lieferanten (einschließlich Dienstleistern), "
                "Kunden und anderen Beteiligten zu schließen und zu erfüllen, verarbeiten wir in "
                "der Regel den Nachnamen der betroffenen Person, ihre Kontaktdaten und alle "
                "weiteren Angaben, die für den Vertrag oder die Erfüllung unserer vertraglichen "
                "Pflichten erforderlich sind."
            ),
            "en": (
                "To draw up and perform contracts with individuals, suppliers (including service "
                "providers), customers and other stakeholders, we usually process the person's "
                "surname, contact details and any other information needed for the contract or "
                "to meet our contractual obligations."
            ),
        },
        "data_subjects": {
            "nl": (
                "Particulieren, leveranciers (met inbegrip van dienstverleners), klanten en "
                "andere belanghebbenden"
            ),
            "fr": (
                "Particuliers, fournisseurs (y compris les prestataires de services), clients et "
                "autres parties prenantes"
            ),
            "de": (
                "Privatpersonen, Lieferanten (einschließlich Dienstleister), Kunden und andere "
                "Beteiligte"
            ),
            "en": (
                "Individuals, suppliers (including service providers), customers and other "
                "stakeholders"
            ),
        },
    },
    {
        "code": "answering_requests",
        "section": "2.2",
        # Steps taken at the person's request before a contract (policy §1).
        "legal_basis": "contract",
        "name": {
            "nl": (
                "Beantwoorden van verzoeken (informatie, offerte, bezoek van de dienst-na-verkoop)"
            ),
            "fr": "Réponse aux demandes (informations, devis, visite du service après-vente)",
            "de": "Beantwortung von Anfragen (Informationen, Angebot, Besuch des Kundendienstes)",
            "en": "Answering requests (information, quote, after-sales visit)",
        },
        "description": {
            "nl": (
                "Wanneer u contact met ons opneemt via een van onze vestigingen, per telefoon, "
                "e-mail of post, of via een formulier op een van onze websites, gebruiken we uw "
                "naam, e-mailadres, andere contactgegevens en uw vraag om uw informatieaanvraag "
                "over onze producten te behandelen, een offerte op te maken of een bezoek van "
                "onze dienst-na-verkoop te organiseren. Daarvoor kunnen deze gegevens worden "
                "doorgegeven aan VELUX A/S, andere VELUX-verkoopmaatschappijen, installateurs, "
                "distributeurs of onderaannemers die ons daarbij helpen."
            ),
            "fr": (
                "Lorsque vous nous contactez dans l'une de nos implantations, par téléphone, par "
                "e-mail ou par courrier, ou via un formulaire sur l'un de nos sites web, nous "
                "utilisons votre nom, votre adresse e-mail, vos autres coordonnées et votre "
                "demande pour traiter votre demande d'informations sur nos produits, établir un "
                "devis ou organiser une visite de notre service après-vente. À cette fin, ces "
                "données peuvent être transmises à VELUX A/S, à d'autres sociétés de vente VELUX, "
                "à des installateurs, à des distributeurs ou aux sous-traitants qui nous y aident."
            ),
            "de": (
                "Wenn Sie uns über eine unserer Niederlassungen, per Telefon, E-Mail oder Post "
                "oder über ein Formular auf einer unserer Websites kontaktieren, verwenden wir "
                "Ihren Namen, Ihre E-Mail-Adresse, Ihre weiteren Kontaktdaten und Ihre Anfrage, "
                "um Ihre Informationsanfrage zu unseren Produkten zu bearbeiten, ein Angebot zu "
                "erstellen oder einen Besuch unseres Kundendienstes zu organisieren. Dazu können "
                "diese Daten an VELUX A/S, andere VELUX-Vertriebsgesellschaften, Installateure, "
                "Händler oder Subunternehmer, die uns dabei unterstützen, weitergegeben werden."
            ),
            "en": (
                "When you contact us at one of our branches, by phone, e-mail or post, or through "
                "a form on one of our websites, we use your name, e-mail address, other contact "
                "details and your request to handle your request for information about our "
                "products, prepare a quote or arrange a visit from our after-sales service. For "
                "this, the data may be passed to VELUX A/S, other VELUX sales companies, "
                "installers, distributors or subcontractors who help us with it."
            ),
        },
        "data_subjects": {
            "nl": (
                "Personen die contact met VELUX opnemen via een vestiging, per telefoon, e-mail "
                "of post, of via een webformulier"
            ),
            "fr": (
                "Personnes qui contactent VELUX dans une implantation, par téléphone, par e-mail, "
                "par courrier ou via un formulaire web"
            ),
            "de": (
                "Personen, die VELUX über eine Niederlassung, per Telefon, E-Mail oder Post oder "
                "über ein Webformular kontaktieren"
            ),
            "en": (
                "People who contact VELUX at a branch, by phone, e-mail or post, or through a "
                "web form"
            ),
        },
    },
    {
        "code": "customers",
        "section": "2.3",
        "legal_basis": "contract",
        "name": {
            "nl": "Klanten en prospecten (bestellingen)",
            "fr": "Clients et prospects (commandes)",
            "de": "Kunden und Interessenten (Bestellungen)",
            "en": "Customers and prospects (orders)",
        },
        "description": {
            "nl": (
                "We verwerken uw naam, contactgegevens, betaalkaartgegevens en alle andere "
                "gegevens die nodig zijn om onze contractuele verplichtingen tegenover u of uw "
                "bedrijf na te komen. Om een bestelling te verwerken, de levering van "
                "VELUX-producten voor te bereiden of een vraag om informatie te beantwoorden, "
                "kunnen deze gegevens worden doorgegeven aan installateurs, distributeurs en "
                "bezorgdiensten."
            ),
            "fr": (
                "Nous traitons votre nom, vos coordonnées, les données de votre carte de paiement "
                "et toute autre donnée nécessaire pour remplir nos obligations contractuelles "
                "envers vous ou votre entreprise. Pour traiter une commande, préparer la "
                "livraison de produits VELUX ou répondre à une demande d'informations, ces "
                "données peuvent être transmises à des installateurs, à des distributeurs et à "
                "des services de livraison."
            ),
            "de": (
                "Wir verarbeiten Ihren Namen, Ihre Kontaktdaten, Ihre Zahlungskartendaten und "
                "alle weiteren Daten, die zur Erfüllung unserer vertraglichen Pflichten Ihnen "
                "oder Ihrem Unternehmen gegenüber erforderlich sind. Um eine Bestellung zu "
                "bearbeiten, die Lieferung von VELUX-Produkten vorzubereiten oder eine "
                "Informationsanfrage zu beantworten, können diese Daten an Installateure, Händler "
                "und Lieferdienste weitergegeben werden."
            ),
            "en": (
                "We process your name, contact details, payment card data and any other data "
                "needed to meet our contractual obligations to you or your company. To process "
                "an order, prepare the delivery of VELUX products or answer a request for "
                "information, the data may be passed to installers, distributors and delivery "
                "services."
            ),
        },
        "data_subjects": {
            "nl": "Klanten en prospecten, ook de contactpersonen van zakelijke klanten",
            "fr": (
                "Clients et prospects, y compris les personnes de contact des clients "
                "professionnels"
            ),
            "de": "Kunden und Interessenten, auch die Ansprechpartner von Geschäftskunden",
            "en": "Customers and prospects, including contact persons at business customers",
        },
    },
    {
        "code": "business_development",
        "section": "2.4",
        "legal_basis": "legitimate_interest",
        "name": {
            "nl": "Bedrijfsontwikkeling (inzicht in de consument, productontwikkeling)",
            "fr": (
                "Développement commercial (connaissance du consommateur, développement de produits)"
            ),
            "de": "Geschäftsentwicklung (Verbraucherverständnis, Produktentwicklung)",
            "en": "Business development (consumer insight, product development)",
        },
        "description": {
            "nl": (
                "De gegevens die u ons verstrekt en de gegevens die op onze digitale platforms "
                "worden verzameld, gebruiken we om de consument beter te begrijpen, om onze "
                "communicatie en aanbiedingen relevanter te maken op alle contactpunten die u "
                "met ons en met VELUX A/S hebt, en voor productontwikkeling. Daarvoor kunnen ze "
                "worden gedeeld met VELUX A/S. Commerciële communicatie sturen we u alleen met "
                "uw toestemming (zie 2.5)."
            ),
            "fr": (
                "Nous utilisons les données que vous nous fournissez et celles collectées sur nos "
                "plateformes numériques pour mieux comprendre les consommateurs, rendre nos "
                "communications et nos offres plus pertinentes sur tous les points de contact "
                "que vous avez avec nous et avec VELUX A/S, et pour le développement de "
                "produits. À cette fin, elles peuvent être partagées avec VELUX A/S. Nous ne "
                "vous envoyons de communications commerciales qu'avec votre consentement "
                "(voir 2.5)."
            ),
            "de": (
                "Die Daten, die Sie uns geben, und die auf unseren digitalen Plattformen "
                "erhobenen Daten verwenden wir, um Verbraucher besser zu verstehen, unsere "
                "Kommunikation und Angebote an allen Kontaktpunkten, die Sie mit uns und mit "
                "VELUX A/S haben, relevanter zu gestalten, und für die Produktentwicklung. Dazu "
                "können sie an VELUX A/S weitergegeben werden. Werbliche Kommunikation senden "
                "wir Ihnen nur mit Ihrer Einwilligung (siehe 2.5)."
            ),
            "en": (
                "We use the data you give us and the data collected on our digital platforms to "
                "understand consumers better, to make our communication and offers more relevant "
                "at every point of contact you have with us and with VELUX A/S, and for product "
                "development. For this, the data may be shared with VELUX A/S. We send you "
                "commercial communication only with your consent (see 2.5)."
            ),
        },
        "data_subjects": {
            "nl": (
                "Iedereen van wie we gegevens verwerken voor de doeleinden 2.1 tot 2.3, en "
                "bezoekers van onze digitale platforms"
            ),
            "fr": (
                "Toutes les personnes dont nous traitons les données pour les finalités 2.1 à "
                "2.3, ainsi que les visiteurs de nos plateformes numériques"
            ),
            "de": (
                "Alle Personen, deren Daten wir für die Zwecke 2.1 bis 2.3 verarbeiten, sowie "
                "Besucher unserer digitalen Plattformen"
            ),
            "en": (
                "Everyone whose data we process for purposes 2.1 to 2.3, and visitors to our "
                "digital platforms"
            ),
        },
    },
    {
        "code": "commercial_communication",
        "section": "2.5",
        "legal_basis": "consent",
        "name": {
            "nl": "Commerciële communicatie",
            "fr": "Communication commerciale",
            "de": "Werbliche Kommunikation",
            "en": "Commercial communication",
        },
        "description": {
            "nl": (
                "Met uw voorafgaande toestemming informeren we u over de activiteiten, producten "
                "en diensten van VELUX. Daarvoor gebruiken we onder meer uw naam, adres, "
                "e-mailadres, telefoonnummer, aankoopgeschiedenis, unieke identificatiegegevens "
                "zoals cookie- en apparaat-ID's, en de browsergeschiedenis die op basis van die "
                "ID's wordt bijgehouden. U kunt uw toestemming altijd intrekken en u op elk "
                "moment eenvoudig en kosteloos uitschrijven. Na uw uitschrijving verwijderen we "
                "uw gegevens binnen twee maanden, tenzij we ze nog verwerken voor een ander doel "
                "uit 2.1 tot 2.8. Aan adverteerders, advertentienetwerken en sociale netwerken "
                "geven we gegevens alleen door als u daarvoor toestemming hebt gegeven."
            ),
            "fr": (
                "Avec votre consentement préalable, nous vous informons des activités, produits "
                "et services de VELUX. Pour ce faire, nous utilisons notamment vos nom, adresse, "
                "adresse e-mail, numéro de téléphone, historique d'achats, identifiants uniques "
                "tels que les identifiants de cookies ou d'appareils, et l'historique de "
                "navigation enregistré à partir de ces identifiants. Vous pouvez retirer votre "
                "consentement et vous désabonner à tout moment, facilement et gratuitement. "
                "Après votre désabonnement, nous supprimons vos données dans un délai de deux "
                "mois, sauf si nous les traitons encore pour une autre finalité visée aux points "
                "2.1 à 2.8. Nous ne transmettons des données à des annonceurs, à des régies "
                "publicitaires et à des réseaux sociaux que si vous y avez consenti."
            ),
            "de": (
                "Mit Ihrer vorherigen Einwilligung informieren wir Sie über die Aktivitäten, "
                "Produkte und Dienstleistungen von VELUX. Dazu verwenden wir unter anderem Ihren "
                "Namen, Ihre Adresse, E-Mail-Adresse und Telefonnummer, Ihre Kaufhistorie, "
                "eindeutige Kennungen wie Cookie- oder Geräte-IDs sowie den anhand dieser IDs "
                "erfassten Browserverlauf. Sie können Ihre Einwilligung jederzeit widerrufen und "
                "sich jederzeit einfach und kostenlos abmelden. Nach Ihrer Abmeldung löschen wir "
                "Ihre Daten innerhalb von zwei Monaten, es sei denn, wir verarbeiten sie noch "
                "für einen anderen Zweck nach 2.1 bis 2.8. An Werbetreibende, Werbenetzwerke und "
                "soziale Netzwerke geben wir Daten nur weiter, wenn Sie eingewilligt haben."
            ),
            "en": (
                "With your prior consent, we keep you informed about VELUX's activities, "
                "products and services. For this we use, among other things, your name, "
                "address, e-mail address, phone number, purchase history, unique identifiers "
                "such as cookie or device IDs, and the browsing history tracked with those IDs. "
                "You can withdraw your consent and unsubscribe at any time, easily and free of "
                "charge. After you unsubscribe, we delete your data within two months, unless we "
                "still process it for another purpose under 2.1 to 2.8. We pass data to "
                "advertisers, ad networks and social networks only if you have consented to it."
            ),
        },
        "data_subjects": {
            "nl": "Abonnees die toestemming hebben gegeven voor commerciële communicatie",
            "fr": "Abonnés ayant consenti à recevoir des communications commerciales",
            "de": "Abonnenten, die in werbliche Kommunikation eingewilligt haben",
            "en": "Subscribers who have consented to commercial communication",
        },
    },
    {
        "code": "surveys",
        "section": "2.6",
        "legal_basis": "legitimate_interest",
        "name": {
            "nl": "Bezoekers en klanttevredenheidsonderzoek",
            "fr": "Visiteurs et enquêtes de satisfaction",
            "de": "Besucher und Kundenzufriedenheitsumfragen",
            "en": "Visitors and customer satisfaction surveys",
        },
        "description": {
            "nl": (
                "We verwerken gegevens van personen die onze digitale platforms bezoeken, en de "
                "antwoorden en beoordelingen uit klanttevredenheidsonderzoeken over onze "
                'producten of diensten, zoals de beoordeling in "Vind een installateur". Voor '
                "steekproefenquêtes kunnen deze gegevens worden doorgegeven aan VELUX A/S. "
                "Zonder uw toestemming gebruiken we ze niet voor commerciële communicatie."
            ),
            "fr": (
                "Nous traitons les données des personnes qui visitent nos plateformes "
                "numériques, ainsi que les réponses et évaluations issues des enquêtes de "
                "satisfaction portant sur nos produits ou services, comme l'évaluation "
                '"Trouver un installateur". Pour des enquêtes par échantillonnage, ces données '
                "peuvent être transmises à VELUX A/S. Sans votre consentement, elles ne sont pas "
                "utilisées à des fins de communication commerciale."
            ),
            "de": (
                "Wir verarbeiten Daten von Personen, die unsere digitalen Plattformen besuchen, "
                "sowie Antworten und Bewertungen aus Kundenzufriedenheitsumfragen zu unseren "
                'Produkten oder Dienstleistungen, etwa die Bewertung in "Installateur finden". '
                "Für Stichprobenumfragen können diese Daten an VELUX A/S weitergegeben werden. "
                "Ohne Ihre Einwilligung verwenden wir sie nicht für werbliche Kommunikation."
            ),
            "en": (
                "We process data of people who visit our digital platforms, and the answers and "
                "ratings from customer satisfaction surveys about our products or services, such "
                'as the "Find an installer" rating. For sample surveys, the data may be passed '
                "to VELUX A/S. Without your consent it is not used for commercial communication."
            ),
        },
        "data_subjects": {
            "nl": (
                "Bezoekers van onze digitale platforms en deelnemers aan tevredenheidsonderzoeken"
            ),
            "fr": (
                "Visiteurs de nos plateformes numériques et participants aux enquêtes de "
                "satisfaction"
            ),
            "de": "Besucher unserer digitalen Plattformen und Teilnehmer an Zufriedenheitsumfragen",
            "en": (
                "Visitors to our digital platforms and people who take part in satisfaction surveys"
            ),
        },
    },
    {
        "code": "candidates",
        "section": "2.7",
        # Steps taken at the candidate's request before a contract (policy §1).
        "legal_basis": "contract",
        "name": {
            "nl": "Kandidaten en potentiële leveranciers",
            "fr": "Candidats et fournisseurs potentiels",
            "de": "Bewerber und potenzielle Lieferanten",
            "en": "Candidates and potential suppliers",
        },
        "description": {
            "nl": (
                "Wanneer iemand zich kandidaat stelt om onze teams te vervoegen of om "
                "leverancier te worden, verwerken we zijn of haar naam, contactgegevens, "
                "beroepservaring, professionele referenties en andere relevante informatie in "
                "een professionele context, en doen we de nodige controles. Deze gegevens komen "
                "van de kandidaat zelf, van vroegere werkgevers of andere referenties, of uit "
                "openbare bronnen. We gebruiken ze om ons een oordeel te vormen voordat we een "
                "arbeidsovereenkomst of een samenwerking voorstellen."
            ),
            "fr": (
                "Lorsqu'une personne pose sa candidature pour rejoindre nos équipes ou pour "
                "devenir fournisseur, nous traitons son nom, ses coordonnées, son expérience "
                "professionnelle, ses références professionnelles et toute autre information "
                "pertinente dans un contexte professionnel, et nous procédons aux vérifications "
                "nécessaires. Ces données sont fournies par le candidat lui-même, recueillies "
                "auprès d'anciens employeurs ou d'autres références, ou proviennent de sources "
                "publiques. Nous les utilisons pour nous forger un avis avant de proposer un "
                "contrat de travail ou une collaboration."
            ),
            "de": (
                "Wenn sich jemand bewirbt, um in unseren Teams mitzuarbeiten oder Lieferant zu "
                "werden, verarbeiten wir Namen, Kontaktdaten, Berufserfahrung, berufliche "
                "Referenzen und weitere im beruflichen Zusammenhang relevante Angaben und führen "
                "die nötigen Prüfungen durch. Diese Daten stammen vom Bewerber selbst, von "
                "früheren Arbeitgebern oder anderen Referenzen oder aus öffentlichen Quellen. "
                "Wir verwenden sie, um uns ein Urteil zu bilden, bevor wir einen Arbeitsvertrag "
                "oder eine Zusammenarbeit anbieten."
            ),
            "en": (
                "When someone applies to join our teams or to become a supplier, we process "
                "their name, contact details, professional experience, professional references "
                "and other relevant information in a professional context, and carry out the "
                "necessary checks. The data comes from the candidate, from former employers or "
                "other referees, or from public sources. We use it to form an opinion before we "
                "offer an employment contract or a collaboration."
            ),
        },
        "data_subjects": {
            "nl": "Sollicitanten en kandidaat-leveranciers",
            "fr": "Candidats à un emploi et candidats fournisseurs",
            "de": "Stellenbewerber und Lieferantenbewerber",
            "en": "Job applicants and prospective suppliers",
        },
    },
    {
        "code": "legal_obligations",
        "section": "2.8",
        "legal_basis": "legal_obligation",
        "name": {
            "nl": "Naleving van wettelijke verplichtingen",
            "fr": "Respect des obligations légales",
            "de": "Erfüllung gesetzlicher Pflichten",
            "en": "Compliance with legal obligations",
        },
        "description": {
            "nl": (
                "We verzamelen en bewaren persoonsgegevens wanneer dat nodig is om aan een "
                "wettelijke verplichting te voldoen. We geven gegevens alleen door aan "
                "wetshandhavingsinstanties of andere overheidsinstanties als we daartoe "
                "wettelijk verplicht zijn."
            ),
            "fr": (
                "Nous collectons et conservons des données à caractère personnel lorsque cela "
                "est nécessaire pour respecter une obligation légale. Nous ne transmettons des "
                "données aux autorités répressives ou à d'autres autorités publiques que si la "
                "loi nous y oblige."
            ),
            "de": (
                "Wir erheben und speichern personenbezogene Daten, wenn dies zur Erfüllung einer "
                "gesetzlichen Pflicht erforderlich ist. An Strafverfolgungs- oder andere "
                "Behörden geben wir Daten nur weiter, wenn wir gesetzlich dazu verpflichtet sind."
            ),
            "en": (
                "We collect and keep personal data when we need it to comply with a legal "
                "obligation. We pass data to law enforcement or other public authorities only "
                "when the law requires us to."
            ),
        },
        "data_subjects": {
            "nl": "Iedereen van wie de wet vereist dat we gegevens verwerken",
            "fr": "Toute personne dont la loi nous impose de traiter les données",
            "de": "Alle Personen, deren Daten wir von Gesetzes wegen verarbeiten müssen",
            "en": "Anyone whose data the law requires us to process",
        },
    },
]

ALL_PURPOSES = [purpose["code"] for purpose in PURPOSES]

# Staff-facing: a class of recipients has no single country; the field keeps its default (BE).
CLASS_IN_EEA = (
    "A class of recipients, not one company: the country field keeps its default. Inside the "
    "EEA: policy §4 says personal data is stored on servers in the EU and names SnapEngage and "
    "Showpad as the only recipients outside the EU. Before data goes to a recipient of this "
    "class outside the EEA, staff add a row of its own with its country and the safeguard "
    "relied on."
)

RECIPIENTS = [
    {
        "name": "VELUX A/S",
        "category": "group_parent",
        "role": "processor",
        "country": "DK",
        "transfer_safeguard": "within_eea",
        "safeguard_note": (
            "Denmark is in the EEA: no transfer safeguard needed. All entities of the VELUX "
            "Group have entered an inter-company data processing agreement, so that they follow "
            "the same procedures and keep the same security level (policy §4)."
        ),
        "requires_consent": False,
        # §2.5: VELUX A/S receives marketing data only where the person consented to §2.5.
        "purposes": [
            "answering_requests",
            "business_development",
            "commercial_communication",
            "surveys",
        ],
        "description": {
            "nl": (
                "Moedermaatschappij van de VELUX Groep (Deens ondernemingsnummer 30003519, "
                "Ådalsvej 99, DK-2970 Hørsholm). Ontvangt gegevens om verzoeken te behandelen, "
                "voor bedrijfsontwikkeling en steekproefenquêtes, en voor commerciële "
                "communicatie als u daarvoor toestemming gaf. Alle entiteiten van de VELUX Groep "
                "hebben een intra-groepsovereenkomst voor gegevensverwerking (Inter-company Data "
                "Processing Agreement) gesloten, zodat overal in de groep dezelfde procedures en "
                "hetzelfde beveiligingsniveau gelden."
            ),
            "fr": (
                "Société mère du groupe VELUX (numéro d'entreprise danois 30003519, Ådalsvej 99, "
                "DK-2970 Hørsholm). Reçoit des données pour traiter les demandes, pour le "
                "développement commercial et les enquêtes par échantillonnage, ainsi que pour la "
                "communication commerciale si vous y avez consenti. Toutes les entités du groupe "
                "VELUX ont conclu un accord intragroupe de traitement des données (Inter-company "
                "Data Processing Agreement), de sorte que les mêmes procédures et le même niveau "
                "de sécurité s'appliquent dans tout le groupe."
            ),
            "de": (
                "Muttergesellschaft der VELUX Gruppe (dänische Unternehmensnummer 30003519, "
                "Ådalsvej 99, DK-2970 Hørsholm). Erhält Daten zur Bearbeitung von Anfragen, für "
                "die Geschäftsentwicklung und Stichprobenumfragen sowie für werbliche "
                "Kommunikation, wenn Sie eingewilligt haben. Alle Gesellschaften der VELUX "
                "Gruppe haben eine konzerninterne Vereinbarung zur Datenverarbeitung "
                "(Inter-company Data Processing Agreement) geschlossen, damit in der ganzen "
                "Gruppe dieselben Verfahren und dasselbe Sicherheitsniveau gelten."
            ),
            "en": (
                "Parent company of the VELUX Group (Danish company no. 30003519, Ådalsvej 99, "
                "DK-2970 Hørsholm). Receives data to handle requests, for business development "
                "and sample surveys, and for commercial communication if you have consented. "
                "All VELUX Group entities have entered an inter-company data processing "
                "agreement, so that the same procedures and the same level of security apply "
                "throughout the group."
            ),
        },
    },
    {
        "name": "Other VELUX sales companies",
        "category": "group_sales",
        "role": "processor",
        "country": "BE",
        "transfer_safeguard": "within_eea",
        "safeguard_note": (
            CLASS_IN_EEA
            + " Intra-group sharing is governed by the inter-company data processing agreement."
        ),
        "requires_consent": False,
        "purposes": ["answering_requests"],
        "description": {
            "nl": (
                "Andere verkoopmaatschappijen van de VELUX Groep. Ze ontvangen gegevens alleen "
                "als dat nodig is om uw verzoek te behandelen, een offerte op te maken of een "
                "bezoek te organiseren, onder de intra-groepsovereenkomst voor "
                "gegevensverwerking."
            ),
            "fr": (
                "Autres sociétés de vente du groupe VELUX. Elles ne reçoivent des données que si "
                "cela est nécessaire pour traiter votre demande, établir un devis ou organiser "
                "une visite, dans le cadre de l'accord intragroupe de traitement des données."
            ),
            "de": (
                "Andere Vertriebsgesellschaften der VELUX Gruppe. Sie erhalten Daten nur, wenn "
                "dies nötig ist, um Ihre Anfrage zu bearbeiten, ein Angebot zu erstellen oder "
                "einen Besuch zu organisieren, im Rahmen der konzerninternen Vereinbarung zur "
                "Datenverarbeitung."
            ),
            "en": (
                "Other sales companies of the VELUX Group. They receive data only when needed to "
                "handle your request, prepare a quote or arrange a visit, under the group's "
                "inter-company data processing agreement."
            ),
        },
    },
    {
        "name": "Installers and distributors",
        "category": "installers_distributors",
        "role": "third_party",
        "country": "BE",
        "transfer_safeguard": "within_eea",
        "safeguard_note": "Businesses in Belgium: inside the EEA, no transfer safeguard needed.",
        "requires_consent": False,
        "purposes": ["answering_requests", "customers"],
        "description": {
            "nl": (
                "Installateurs en distributeurs van VELUX-producten in België. Ze ontvangen "
                "gegevens om uw verzoek te behandelen, een offerte op te maken, een bezoek te "
                "organiseren of een bestelling te verwerken en te leveren."
            ),
            "fr": (
                "Installateurs et distributeurs de produits VELUX en Belgique. Ils reçoivent des "
                "données pour traiter votre demande, établir un devis, organiser une visite ou "
                "traiter et livrer une commande."
            ),
            "de": (
                "Installateure und Händler von VELUX-Produkten in Belgien. Sie erhalten Daten, "
                "um Ihre Anfrage zu bearbeiten, ein Angebot zu erstellen, einen Besuch zu "
                "organisieren oder eine Bestellung zu bearbeiten und zu liefern."
            ),
            "en": (
                "Installers and distributors of VELUX products in Belgium. They receive data to "
                "handle your request, prepare a quote, arrange a visit or process and deliver "
                "an order."
            ),
        },
    },
    {
        "name": "Delivery and customer-service subcontractors",
        "category": "subcontractors",
        "role": "processor",
        "country": "BE",
        "transfer_safeguard": "within_eea",
        "safeguard_note": CLASS_IN_EEA,
        "requires_consent": False,
        "purposes": ["answering_requests", "customers"],
        "description": {
            "nl": (
                "Onderaannemers die voor VELUX leveringen uitvoeren of klantenservice verlenen. "
                "Ze verwerken gegevens alleen in onze opdracht, onder een verwerkersovereenkomst, "
                "en mogen ze voor geen enkel ander doel gebruiken."
            ),
            "fr": (
                "Sous-traitants qui assurent des livraisons ou le service clientèle pour VELUX. "
                "Ils ne traitent les données que sur nos instructions, dans le cadre d'un contrat "
                "de sous-traitance, et ne peuvent les utiliser à aucune autre fin."
            ),
            "de": (
                "Subunternehmer, die für VELUX Lieferungen ausführen oder den Kundenservice "
                "übernehmen. Sie verarbeiten Daten nur in unserem Auftrag, auf Grundlage eines "
                "Auftragsverarbeitungsvertrags, und dürfen sie für keinen anderen Zweck "
                "verwenden."
            ),
            "en": (
                "Subcontractors who carry out deliveries or customer service for VELUX. They "
                "process data only on our instructions, under a data processing agreement, and "
                "may not use it for any other purpose."
            ),
        },
    },
    {
        "name": "Website support and hosting provider",
        "category": "hosting",
        "role": "processor",
        "country": "BE",
        "transfer_safeguard": "within_eea",
        "safeguard_note": (
            "Servers in the EU (policy §4). The policy does not name the provider: the country "
            "field keeps its default until staff record the provider and the country of its "
            "data centres."
        ),
        "requires_consent": False,
        # Hosting stores the data of every purpose.
        "purposes": ALL_PURPOSES,
        "description": {
            "nl": (
                "Leverancier van websiteondersteuning en hosting. Uw persoonsgegevens worden "
                "opgeslagen op servers in de Europese Unie. De leverancier verwerkt ze alleen in "
                "onze opdracht, onder een verwerkersovereenkomst."
            ),
            "fr": (
                "Prestataire de support et d'hébergement des sites web. Vos données à caractère "
                "personnel sont stockées sur des serveurs situés dans l'Union européenne. Le "
                "prestataire ne les traite que sur nos instructions, dans le cadre d'un contrat "
                "de sous-traitance."
            ),
            "de": (
                "Anbieter für Website-Support und Hosting. Ihre personenbezogenen Daten werden "
                "auf Servern in der Europäischen Union gespeichert. Der Anbieter verarbeitet sie "
                "nur in unserem Auftrag, auf Grundlage eines Auftragsverarbeitungsvertrags."
            ),
            "en": (
                "Website support and hosting provider. Your personal data is stored on servers "
                "in the European Union. The provider processes it only on our instructions, "
                "under a data processing agreement."
            ),
        },
    },
    {
        "name": "SnapEngage",
        "category": "web_chat",
        "role": "processor",
        "country": "US",
        "transfer_safeguard": "scc",
        "safeguard_note": (
            "Policy §7 (May 2021) still names the EU-US Privacy Shield, which the Court of "
            "Justice of the EU annulled on 16 July 2020 (C-311/18, Schrems II): it is not relied "
            "on. The transfer relies on the European Commission's standard contractual clauses "
            "(GDPR Art. 46(2)(c)) in the data processing agreement with SnapEngage; staff "
            "confirm they are signed. The EU-US Data Privacy Framework (adequacy decision of "
            "10 July 2023) covers a transfer only to a certified company: staff must verify "
            "SnapEngage's certification on the DPF list before switching this row to eu_us_dpf. "
            "Policy §7 needs updating."
        ),
        "requires_consent": False,
        "purposes": ["answering_requests"],
        "description": {
            "nl": (
                "Online chatsoftware op onze websites, voor distributeurs en particulieren. "
                "SnapEngage gebruikt cookies om de inhoud van een chat bij te houden terwijl u "
                "de pagina's van onze websites bekijkt, en om u met dezelfde medewerker in "
                "gesprek te houden. SnapEngage is gevestigd in de Verenigde Staten, buiten de "
                "EU. Meer informatie: https://snapengage.com/security/."
            ),
            "fr": (
                "Logiciel de chat en ligne sur nos sites web, destiné aux distributeurs et aux "
                "particuliers. SnapEngage utilise des cookies pour conserver le contenu d'une "
                "conversation pendant que vous consultez les pages de nos sites et pour vous "
                "maintenir en contact avec le même opérateur. SnapEngage est établi aux "
                "États-Unis, hors de l'UE. Plus d'informations : https://snapengage.com/security/."
            ),
            "de": (
                "Online-Chat-Software auf unseren Websites für Händler und Privatpersonen. "
                "SnapEngage verwendet Cookies, um den Inhalt eines Chats zu erhalten, während "
                "Sie die Seiten unserer Websites aufrufen, und um Sie mit demselben Mitarbeiter "
                "zu verbinden. SnapEngage hat seinen Sitz in den Vereinigten Staaten, außerhalb "
                "der EU. Weitere Informationen: https://snapengage.com/security/."
            ),
            "en": (
                "Online chat software on our websites, for distributors and individuals. "
                "SnapEngage uses cookies to keep the content of a chat while you browse the "
                "pages of our websites and to keep you talking to the same operator. SnapEngage "
                "is based in the United States, outside the EU. More information: "
                "https://snapengage.com/security/."
            ),
        },
    },
    {
        "name": "Showpad",
        "category": "content_engagement",
        "role": "processor",
        "country": "US",
        "transfer_safeguard": "scc",
        "safeguard_note": (
            "Showpad NV is a Belgian company (Ghent), but policy §4 lists Showpad among the "
            "recipients outside the EU: the Showpad group has US entities and the hosting region "
            "of the VELUX instance is not stated. Recorded conservatively as a transfer to the "
            "US on the European Commission's standard contractual clauses (GDPR Art. 46(2)(c)). "
            "Staff must confirm with Showpad the hosting region and sub-processors of the VELUX "
            "instance and that the clauses are signed: if all processing stays in the EEA, "
            "change this row to BE and within_eea; before relying on the EU-US Data Privacy "
            "Framework instead, verify Showpad's certification. The Privacy Shield named in "
            "policy §7 was annulled in 2020 (Schrems II) and is not relied on."
        ),
        "requires_consent": False,
        "purposes": ["commercial_activity"],
        "description": {
            "nl": (
                "Software voor onze professionele partners. Showpad meet en rapporteert hoe "
                "personen omgaan met de inhoud die met hen wordt gedeeld, om de interactie "
                "tussen medewerkers (bijvoorbeeld verkoop- en marketingteams) en derden "
                "(bijvoorbeeld potentiële kopers) te verbeteren. De dienst wordt geleverd als "
                "Software as a Service en verwerkt de gegevens alleen ten behoeve en onder "
                "controle van VELUX. Ons privacybeleid vermeldt Showpad bij de ontvangers buiten "
                "de EU. Meer informatie: https://www.showpad.com/gdpr."
            ),
            "fr": (
                "Logiciel destiné à nos partenaires professionnels. Showpad mesure l'interaction "
                "des personnes avec les contenus partagés avec elles et en rend compte, afin "
                "d'améliorer les échanges entre collaborateurs (par exemple les équipes de vente "
                "et de marketing) et tiers (par exemple les acheteurs potentiels). Le service "
                "est fourni en mode Software as a Service et ne traite les données qu'au profit "
                "et sous le contrôle de VELUX. Notre politique de confidentialité cite Showpad "
                "parmi les destinataires hors de l'UE. Plus d'informations : "
                "https://www.showpad.com/gdpr."
            ),
            "de": (
                "Software für unsere professionellen Partner. Showpad misst und berichtet, wie "
                "Personen mit den mit ihnen geteilten Inhalten umgehen, um die Interaktion "
                "zwischen Mitarbeitern (zum Beispiel Vertriebs- und Marketingteams) und Dritten "
                "(zum Beispiel potenziellen Käufern) zu verbessern. Der Dienst wird als Software "
                "as a Service bereitgestellt und verarbeitet die Daten nur zugunsten und unter "
                "der Kontrolle von VELUX. Unsere Datenschutzerklärung führt Showpad unter den "
                "Empfängern außerhalb der EU. Weitere Informationen: "
                "https://www.showpad.com/gdpr."
            ),
            "en": (
                "Software for our professional partners. Showpad measures and reports how people "
                "engage with the content shared with them, to improve interactions between staff "
                "(for example sales and marketing teams) and third parties (for example "
                "potential buyers). The service is provided as Software as a Service and "
                "processes the data only for the benefit and under the control of VELUX. Our "
                "privacy policy lists Showpad among the recipients outside the EU. More "
                "information: https://www.showpad.com/gdpr."
            ),
        },
    },
    {
        "name": "Analytics, tracking and targeting technology providers",
        "category": "analytics",
        "role": "processor",
        "country": "BE",
        "transfer_safeguard": "within_eea",
        "safeguard_note": (
            CLASS_IN_EEA + " Many analytics and targeting providers are US companies: each needs "
            "its own row, with a verified DPF certification or signed standard contractual "
            "clauses."
        ),
        "requires_consent": False,
        "purposes": ["business_development", "commercial_communication", "surveys"],
        "description": {
            "nl": (
                "Technologieleveranciers die ons helpen onze platforms te verbeteren en te "
                "optimaliseren, zoals analyse- en trackingtechnologie, targeting- en "
                "retargetingtechnologie en aanbieders van zoekmachines. Zie ook ons "
                "cookiebeleid."
            ),
            "fr": (
                "Fournisseurs de technologies qui nous aident à améliorer et à optimiser nos "
                "plateformes, comme les technologies d'analyse et de suivi, de ciblage et de "
                "reciblage, et les fournisseurs de moteurs de recherche. Voir aussi notre "
                "politique en matière de cookies."
            ),
            "de": (
                "Technologieanbieter, die uns helfen, unsere Plattformen zu verbessern und zu "
                "optimieren, etwa Analyse- und Tracking-Technologien, Targeting- und "
                "Retargeting-Technologien sowie Suchmaschinenanbieter. Siehe auch unsere "
                "Cookie-Richtlinie."
            ),
            "en": (
                "Technology providers who help us improve and optimise our platforms, such as "
                "analytics and tracking technology, targeting and re-targeting technology, and "
                "search engine providers. See also our cookie policy."
            ),
        },
    },
    {
        "name": "Advertisers and ad networks",
        "category": "advertisers",
        "role": "third_party",
        "country": "BE",
        "transfer_safeguard": "within_eea",
        "safeguard_note": CLASS_IN_EEA,
        "requires_consent": True,
        "purposes": ["commercial_communication"],
        "description": {
            "nl": (
                "Adverteerders en advertentienetwerken die de gegevens nodig hebben om relevante "
                "advertenties te selecteren en aan u en anderen te tonen, alleen als u daarvoor "
                "toestemming hebt gegeven."
            ),
            "fr": (
                "Annonceurs et régies publicitaires qui ont besoin des données pour sélectionner "
                "des publicités pertinentes et vous les présenter, à vous et à d'autres, "
                "uniquement si vous y avez consenti."
            ),
            "de": (
                "Werbetreibende und Werbenetzwerke, die die Daten benötigen, um relevante "
                "Werbung auszuwählen und Ihnen und anderen anzuzeigen, nur wenn Sie eingewilligt "
                "haben."
            ),
            "en": (
                "Advertisers and ad networks that need the data to select relevant "
                "advertisements and show them to you and others, only if you have consented."
            ),
        },
    },
    {
        "name": "Social networks",
        "category": "social_networks",
        "role": "third_party",
        "country": "BE",
        "transfer_safeguard": "within_eea",
        "safeguard_note": CLASS_IN_EEA,
        "requires_consent": True,
        "purposes": ["commercial_communication"],
        "description": {
            "nl": (
                "Sociale netwerksites, alleen als dat voor de verwerking nodig is en u daarvoor "
                "toestemming hebt gegeven."
            ),
            "fr": (
                "Réseaux sociaux, uniquement lorsque cela est nécessaire au traitement et que "
                "vous y avez consenti."
            ),
            "de": (
                "Soziale Netzwerke, nur wenn dies für die Verarbeitung erforderlich ist und Sie "
                "eingewilligt haben."
            ),
            "en": (
                "Social networking sites, only where the processing requires it and you have "
                "consented."
            ),
        },
    },
    {
        "name": "Law enforcement and other public authorities",
        "category": "authorities",
        "role": "authority",
        "country": "BE",
        "transfer_safeguard": "within_eea",
        "safeguard_note": (
            "Belgian authorities, inside the EEA. Disclosure only under a legal obligation "
            "(policy §1, §2.8), and every disclosure is logged."
        ),
        "requires_consent": False,
        "purposes": ["legal_obligations"],
        "description": {
            "nl": (
                "Politie, gerecht en andere overheidsinstanties. We geven hun gegevens alleen "
                "door als we daartoe wettelijk verplicht zijn; elke doorgifte wordt "
                "geregistreerd."
            ),
            "fr": (
                "Police, justice et autres autorités publiques. Nous ne leur transmettons des "
                "données que si la loi nous y oblige ; chaque transmission est enregistrée."
            ),
            "de": (
                "Polizei, Justiz und andere Behörden. Wir geben ihnen Daten nur weiter, wenn wir "
                "gesetzlich dazu verpflichtet sind; jede Weitergabe wird protokolliert."
            ),
            "en": (
                "Police, judicial and other public authorities. We pass data to them only when "
                "the law requires us to; every disclosure is logged."
            ),
        },
    },
]


def _translated(field, texts):
    """The plain field (Dutch, the default language) and one column per language."""
    values = {field: texts["nl"]}
    values.update({f"{field}_{language}": texts[language] for language in LANGUAGES})
    return values


def seed_registers(apps, schema_editor):
    Purpose = apps.get_model("subjects", "Purpose")
    Recipient = apps.get_model("subjects", "Recipient")
    db = schema_editor.connection.alias

    purposes = {}
    for entry in PURPOSES:
        defaults = {"section": entry["section"], "legal_basis": entry["legal_basis"]}
        for field in ("name", "description", "data_subjects"):
            defaults.update(_translated(field, entry[field]))
        purposes[entry["code"]], _ = Purpose.objects.using(db).update_or_create(
            code=entry["code"], defaults=defaults
        )

    for entry in RECIPIENTS:
        defaults = {
            "role": entry["role"],
            "country": entry["country"],
            "transfer_safeguard": entry["transfer_safeguard"],
            "safeguard_note": entry["safeguard_note"],
            "requires_consent": entry["requires_consent"],
            **_translated("description", entry["description"]),
        }
        recipient, _ = Recipient.objects.using(db).update_or_create(
            name=entry["name"], category=entry["category"], defaults=defaults
        )
        recipient.purposes.set([purposes[code] for code in entry["purposes"]])


def unseed_registers(apps, schema_editor):
    Purpose = apps.get_model("subjects", "Purpose")
    Recipient = apps.get_model("subjects", "Recipient")
    db = schema_editor.connection.alias

    for entry in RECIPIENTS:
        Recipient.objects.using(db).filter(name=entry["name"], category=entry["category"]).delete()
    Purpose.objects.using(db).filter(code__in=ALL_PURPOSES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("subjects", "0001_data_subjects_and_registers"),
    ]

    operations = [
        migrations.RunPython(seed_registers, unseed_registers),
    ]
