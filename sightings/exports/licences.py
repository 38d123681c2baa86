"""Which photo licences allow an export to carry a photo, and their canonical addresses."""

from ..models import Sighting

LICENSE_URIS: dict[str, str] = {
    Sighting.License.CC0: "http://creativecommons.org/publicdomain/zero/1.0/legalcode",
    Sighting.License.CC_BY: "http://creativecommons.org/licenses/by/4.0/legalcode",
    Sighting.License.CC_BY_NC: "http://creativecommons.org/licenses/by-nc/4.0/legalcode",
}
# What GBIF accepts, and what a dataset may redistribute: an all-rights-reserved photo is neither.
REUSABLE_LICENSES = list(LICENSE_URIS)
