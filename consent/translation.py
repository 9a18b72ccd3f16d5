from modeltranslation.translator import TranslationOptions, register

from consent.models import ConsentPurpose, ConsentPurposeVersion, Newsletter, PolicyVersion


@register(ConsentPurpose)
class ConsentPurposeTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(ConsentPurposeVersion)
class ConsentPurposeVersionTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(Newsletter)
class NewsletterTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(PolicyVersion)
class PolicyVersionTranslationOptions(TranslationOptions):
    fields = ("summary",)
