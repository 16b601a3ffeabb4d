import pytest
from django.core.cache import cache

from fhirapi.services import api_client_register
from tests.fhirapi.checks import BASE
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


@pytest.fixture(autouse=True)
def _canonical_base(settings):
    settings.FHIR_CANONICAL_BASE = BASE


@pytest.fixture
def her(survivor, clinic):
    """A survivor whose clinic names its MRN system, with her MRN; she reads Spanish."""
    clinic.mrn_system = "urn:oid:2.16.840.1.113883.3.999"
    clinic.save(update_fields=["mrn_system"])
    survivor.mrn = "MRN-00417"
    survivor.language = "es"
    survivor.save(update_fields=["mrn", "language"])
    return survivor
