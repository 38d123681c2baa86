"""The web tests' place: Lake Erie off Cleveland, Ohio (the fixtures' regions hold it)."""

LATITUDE, LONGITUDE = 41.5, -81.7
