"""Who is who (policy, "Who is who"): the controller and the supervisory authority, as every
page, e-mail and export names them. Facts, not configuration."""

from django.utils.translation import gettext_lazy as _

CONTROLLER = {
    "name": "VELUX Belgium",
    "address": "Boulevard de l'Europe 121, 1301 Bierges",
    "email": "info-be@velux.com",
    "phone": "+32 10 420 909",
    "parent": "VELUX A/S, Ådalsvej 99, DK-2970 Hørsholm",
}

# Complaints go to the Belgian Data Protection Authority (GBA/APD), policy §5 and §10.
SUPERVISORY_AUTHORITY = {
    "name": _("Data Protection Authority (GBA/APD)"),
    "address": "Drukpersstraat 35 / Rue de la Presse 35, 1000 Brussel / Bruxelles",
    "website": "https://www.dataprotectionauthority.be",
    "email": "contact@apd-gba.be",
    "phone": "+32 2 274 48 00",
}
