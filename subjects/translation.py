from modeltranslation.translator import TranslationOptions, register

from subjects.models import Purpose, Recipient


@register(Purpose)
class PurposeTranslationOptions(TranslationOptions):
    fields = ("name", "description", "data_subjects")


@register(Recipient)
class RecipientTranslationOptions(TranslationOptions):
    fields = ("description",)
