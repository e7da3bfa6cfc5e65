from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST


class ZhifaAuthenticationForm(AuthenticationForm):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput)
    error_messages = {
        "invalid_login": "用户名或密码错误。连续多次错误后账号将被临时锁定。",
        "inactive": "该账号已停用，请联系管理员。",
    }

    def clean(self):
        from zhifa.org import auth

        username = self.cleaned_data.get("username") or ""
        address = auth.client_address(self.request)
        why = auth.refusal(username, address)
        if why is not None:
            # The backend would refuse too; checking first gives the person the reason.
            auth.record_refusal(username, address)
            raise forms.ValidationError(why, code="locked")
        return super().clean()


class ZhifaLoginView(LoginView):
    template_name = "registration/login.html"
    authentication_form = ZhifaAuthenticationForm
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "您已安全退出。")
    return redirect("web:login")


@login_required
def home(request):
    return render(request, "web/home.html")
