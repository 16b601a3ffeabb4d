"""The second sign-in step (issue 13): an authenticator app (TOTP) with
recovery codes, and passkeys (WebAuthn), on django-otp and django-otp-webauthn.

Staff (nurses, clinic admins, superusers and anyone with Django admin access)
must pass it before any page but the sign-in pages themselves (gate.py);
survivors may turn it on under their settings. A clinic admin can reset a
nurse's factors (services.factors_reset), and she sets them up again at her
next sign-in.
"""
