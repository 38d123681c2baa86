"""The demo classifier: the pretrained ImageNet SqueezeNet 1.1 (fp16 ONNX) with its fish classes
mapped to taxa and every other class to the negative label.

ImageNet's fish classes are broad, so some map to a genus, family or order rather than a species.
"""

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

from django.conf import settings

DEMO_FILE_NAME = "SqueezeNet_fp16.onnx"
DEMO_SHA256 = "21f25e3d9254af93e6218a359469fac714a017b3f9035c0f5c4acbf9a3ff7233"
DEMO_URL = (
    "https://raw.githubusercontent.com/microsoft/Windows-Machine-Learning/"
    "044757481c274e4749f5c192962168520807b4cc/SharedContent/models/SqueezeNet_fp16.onnx"
)
DEMO_NAME = "SqueezeNet 1.1 ImageNet (demo)"
DEMO_NEGATIVE_LABEL = "not_fish"
DEMO_CLASS_COUNT = 1000
# Caffe-style input, as the model was trained: BGR 0-255 minus the per-channel mean, no std.
DEMO_PREPROCESSING = {
    "input_name": "data_0",
    "size": [224, 224],
    "channel_order": "BGR",
    "scale": 1.0,
    "mean": [104.0, 117.0, 123.0],
    "std": [1.0, 1.0, 1.0],
    "layout": "NCHW",
    "dtype": "float16",
    "resize": "stretch",
    "output": "probabilities",
}


class DemoTaxon(NamedTuple):
    label: str  # the scientific name in snake_case, as Species.label_key gives it
    scientific_name: str
    common_name: str
    rank: str  # "species", "genus", "family" or "order"
    family: str


_TENCH = DemoTaxon("tinca_tinca", "Tinca tinca", "tench", "species", "Tincidae")
_GOLDFISH = DemoTaxon("carassius_auratus", "Carassius auratus", "goldfish", "species", "Cyprinidae")
_WHITE_SHARK = DemoTaxon(
    "carcharodon_carcharias", "Carcharodon carcharias", "great white shark", "species", "Lamnidae"
)
_TIGER_SHARK = DemoTaxon("galeocerdo_cuvier", "Galeocerdo cuvier", "tiger shark", "species", "Carcharhinidae")
_HAMMERHEADS = DemoTaxon("sphyrna", "Sphyrna", "hammerhead sharks", "genus", "Sphyrnidae")
_ELECTRIC_RAYS = DemoTaxon("torpediniformes", "Torpediniformes", "electric rays", "order", "")
_STINGRAYS = DemoTaxon("dasyatidae", "Dasyatidae", "whiptail stingrays", "family", "Dasyatidae")
_SNOEK = DemoTaxon("thyrsites_atun", "Thyrsites atun", "snoek (barracouta)", "species", "Gempylidae")
_EELS = DemoTaxon("anguilliformes", "Anguilliformes", "eels", "order", "")
_COHO = DemoTaxon("oncorhynchus_kisutch", "Oncorhynchus kisutch", "coho salmon", "species", "Salmonidae")
_ROCK_BEAUTY = DemoTaxon(
    "holacanthus_tricolor", "Holacanthus tricolor", "rock beauty", "species", "Pomacanthidae"
)
_ANEMONEFISH = DemoTaxon("amphiprion", "Amphiprion", "anemonefishes", "genus", "Pomacentridae")
_STURGEONS = DemoTaxon("acipenseridae", "Acipenseridae", "sturgeons", "family", "Acipenseridae")
_LONGNOSE_GAR = DemoTaxon(
    "lepisosteus_osseus", "Lepisosteus osseus", "longnose gar", "species", "Lepisosteidae"
)
_LIONFISHES = DemoTaxon("pterois", "Pterois", "lionfishes", "genus", "Scorpaenidae")
_PUFFERS = DemoTaxon("tetraodontidae", "Tetraodontidae", "pufferfishes", "family", "Tetraodontidae")

# ImageNet-1k output index (line of Labels.txt) -> taxon.
DEMO_CLASS_TAXA = {
    0: _TENCH,  # tench, Tinca tinca
    1: _GOLDFISH,  # goldfish, Carassius auratus
    2: _WHITE_SHARK,  # great white shark, Carcharodon carcharias
    3: _TIGER_SHARK,  # tiger shark, Galeocerdo cuvieri
    4: _HAMMERHEADS,  # hammerhead, hammerhead shark
    5: _ELECTRIC_RAYS,  # electric ray, crampfish, numbfish, torpedo
    6: _STINGRAYS,  # stingray
    389: _SNOEK,  # barracouta, snoek
    390: _EELS,  # eel
    391: _COHO,  # coho, Oncorhynchus kisutch
    392: _ROCK_BEAUTY,  # rock beauty, Holocanthus tricolor
    393: _ANEMONEFISH,  # anemone fish
    394: _STURGEONS,  # sturgeon
    395: _LONGNOSE_GAR,  # gar, Lepisosteus osseus
    396: _LIONFISHES,  # lionfish
    397: _PUFFERS,  # puffer, pufferfish, blowfish
}

DEMO_TAXA: list[DemoTaxon] = list(DEMO_CLASS_TAXA.values())


def demo_labels() -> list[str]:
    """One label per SqueezeNet output: a taxon's label, or the negative label."""
    return [
        DEMO_CLASS_TAXA[index].label if index in DEMO_CLASS_TAXA else DEMO_NEGATIVE_LABEL
        for index in range(DEMO_CLASS_COUNT)
    ]


def demo_backbone_candidates(*, backbone_dir: str | Path | None = None) -> list[Path]:
    """Where the backbone file may lie, in order: the given folder, else $CATCHLOG_SHARED_DIR/data/backbone,
    then ../shared/data/backbone next to the project."""
    if backbone_dir is not None:
        return [Path(backbone_dir) / DEMO_FILE_NAME]
    candidates = []
    shared_dir = os.environ.get("CATCHLOG_SHARED_DIR")
    if shared_dir:
        candidates.append(Path(shared_dir) / "data" / "backbone" / DEMO_FILE_NAME)
    candidates.append(Path(settings.BASE_DIR).parent / "shared" / "data" / "backbone" / DEMO_FILE_NAME)
    return candidates


def demo_backbone_download(
    *, url: str = DEMO_URL, timeout: float = 60.0, max_bytes: int = 64 * 1024 * 1024
) -> bytes:
    """The backbone from its public address, checked against DEMO_SHA256. Raises OSError."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (a fixed https URL)
            data = response.read(max_bytes + 1)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise OSError(f"cannot download {url}: {error}") from error
    if len(data) > max_bytes:
        raise OSError(f"{url} is larger than {max_bytes} bytes")
    digest = hashlib.sha256(data).hexdigest()
    if digest != DEMO_SHA256:
        raise OSError(f"{url} has SHA-256 {digest}, expected {DEMO_SHA256}")
    return data
