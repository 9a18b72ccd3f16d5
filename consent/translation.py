from modeltranslation.translator import TranslationOptions, register

from consent.models import ConsentPurpose, ConsentPurposeVersion, Newsletter, PolicyVersion

# What a person reads about a consent exists in each language of the site (SPECS.md): the
# admin refuses a text left out in one, instead of showing another language's fallback.
ALL_LANGUAGES = ("nl", "fr", "de", "en")


@register(ConsentPurpose)
class ConsentPurposeTranslationOptions(TranslationOptions):
    fields = ("name", "description")
    required_languages = ALL_LANGUAGES


@register(ConsentPurposeVersion)
class ConsentPurposeVersionTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(Newsletter)
class NewsletterTranslationOptions(TranslationOptions):
    fields = ("name", "description")
    required_languages = {language: ("name",) for language in ALL_LANGUAGES}


@register(PolicyVersion)
class PolicyVersionTranslationOptions(TranslationOptions):
    fields = ("summary",)
    required_languages = ALL_LANGUAGES
