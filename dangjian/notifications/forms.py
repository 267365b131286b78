"""The 消息设置 form and 组织部's 群机器人 form."""
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired

from ..web.forms import ChineseForm
from .models import WebhookProvider

EMAIL_MODES = [("each", "每条消息发一封邮件"), ("digest", "每日汇总，每天发一封"), ("off", "不发邮件，只在站内「消息」中查看")]


class SettingsForm(ChineseForm):
    printed = False  # never reaches a PDF
    email_mode = RadioField("提醒方式", choices=EMAIL_MODES, default="each",
                            validators=[DataRequired("请选择邮件提醒方式")])


class WebhookForm(ChineseForm):
    printed = False  # never reaches a PDF
    organization_id = SelectField("党组织", coerce=int, validate_choice=False)
    provider = RadioField("类型", choices=WebhookProvider.choices(), default=WebhookProvider.WECOM.value,
                          validators=[DataRequired("请选择群机器人类型")])
    url = StringField("Webhook 地址")
    secret = PasswordField("加签密钥（仅钉钉，选填）")
    enabled = BooleanField("启用", default=True)
