"""The user's own account on the web: e-mail address, password, and deleting it with all its data."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from ..services.removal import account_delete

LOGIN_URL = "sightings-web:login"


class AccountEmailForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email"]
        labels = {"email": "E-mail address"}
        help_texts = {"email": "Used only to send you a link when you forget your password."}


class AccountDeleteForm(forms.Form):
    """Asks for the password: a session left open on a shared phone must not delete the account."""

    password = forms.CharField(label="Your password", strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


@login_required(login_url=LOGIN_URL)
def account_page(request):
    form = AccountEmailForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your e-mail address is saved.")
        return redirect("sightings-web:account")
    return render(request, "account/index.html", {"form": form}, status=400 if form.errors else 200)


@login_required(login_url=LOGIN_URL)
def account_delete_page(request):
    """A page that says what goes and asks for the password; the POST deletes and logs out."""
    user = request.user
    form = AccountDeleteForm(request.POST or None, user=user)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            account_delete(user=user)
        except PermissionDenied as error:
            refusal = str(error)
        else:
            logout(request)
            messages.success(request, "Your account, your catches and their photos are deleted.")
            return redirect("sightings-web:home")
    context = {"form": form, "catches": user.sightings.count(), "refusal": refusal}
    status = 403 if refusal else 400 if form.errors else 200
    return render(request, "account/delete.html", context, status=status)
