from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名。"), Length(max=64, message="用户名最多64个字符。")])
    password = PasswordField("密码", validators=[DataRequired("请填写密码。"), Length(max=256, message="密码太长了。")])


class LogoutForm(FlaskForm):
    pass
