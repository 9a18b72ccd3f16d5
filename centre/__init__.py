"""The customer privacy centre: the pages a person uses to see what VELUX holds on them and to
use their rights (policy §5), their account (django-allauth), and the portal's own design.

It sits on top with `velux_privacy`: it reads through the data map (`subjects.selectors`) and
calls the other apps' services; no app imports it. It holds no personal data of its own.
"""
