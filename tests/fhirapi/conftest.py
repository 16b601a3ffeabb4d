import pytest
from django.core.cache import cache

from fhirapi.services import api_client_register
from tests.fhirapi.keys import ec_key, public_jwk, rsa_key


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # The token endpoint's counters live in the cache (locmem in tests).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client(clinic, clinic_admin):
    """The clinic's EHR: an RSA key ("rsa-1") and an EC P-384 key ("ec-1"),
    allowed to read flags and patients."""
    return api_client_register(
        by=clinic_admin,
        clinic=clinic,
        name="Riverside EHR",
        jwks={"keys": [public_jwk(rsa_key(), "rsa-1"), public_jwk(ec_key(), "ec-1")]},
        scopes=["system/Flag.read", "system/Patient.read"],
    )


@pytest.fixture
def warehouse(clinic, clinic_admin):
    """A data warehouse allowed every type (system/*.read)."""
    return api_client_register(
        by=clinic_admin,
        clinic=clinic,
        name="Warehouse",
        jwks={"keys": [public_jwk(rsa_key("warehouse"), "w-1")]},
        scopes=["system/*.read"],
    )
