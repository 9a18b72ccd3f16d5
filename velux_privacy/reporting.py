"""Error reports without personal data (STYLE.md §5).

Django's reports (the debug page, the e-mails to ADMINS) list the POST data of the request
that failed, except the parameters a view marks with `sensitive_post_parameters`. Here forms
post names, addresses and messages, so every posted value is hidden, whatever the view says.
"""

from django.views.debug import SafeExceptionReporterFilter


class NoPostedDataFilter(SafeExceptionReporterFilter):
    def get_post_parameters(self, request):
        if request is None:
            return {}
        return {name: self.cleansed_substitute for name in request.POST}
