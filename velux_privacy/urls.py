from allauth.account.decorators import secure_admin_login
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from centre import views as centre_views
from velux_privacy import views

admin.site.site_header = _("VELUX Belgium privacy administration")
admin.site.site_title = _("VELUX privacy")
admin.site.index_title = _("Privacy requests, consent and data")
# Staff sign in through allauth, like everyone: its rate limits on failed logins protect the
# admin, the door to all personal data (Django's own admin login has none).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/consent/", include("consent.urls_api")),
    path("", include("consent.urls")),
]

# Customer pages exist in nl, fr, de and en: /nl/…, /fr/…, /de/…, /en/….
urlpatterns += i18n_patterns(
    path("", centre_views.home, name="home"),
    path("", include("centre.urls")),
    path("accounts/", include("allauth.urls")),
    path("consent/", include("consent.urls_pages")),
    path("requests/", include("dsr_requests.urls")),
)
