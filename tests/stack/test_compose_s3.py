"""compose.s3.yaml, read: on top of compose.yaml it runs two web containers that share no media folder, their files
in the buckets. (Run for real by the container tests; the two-machine behaviour itself is tested without containers,
two gunicorns on one pair of buckets: tests/uploads/test_object_storage.py.)"""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


class ComposeLoader(yaml.SafeLoader):
    """Reads Compose's `!override` and `!reset` tags as the values they carry."""


ComposeLoader.add_constructor("!override", lambda loader, node: loader.construct_sequence(node))
ComposeLoader.add_constructor("!reset", lambda loader, node: None)

BASE = yaml.safe_load((ROOT / "compose.yaml").read_text())
OVERRIDE = yaml.load((ROOT / "compose.s3.yaml").read_text(), Loader=ComposeLoader)  # noqa: S506 - a safe loader


def mounted(service):
    return {volume.split(":")[0] for volume in OVERRIDE["services"][service]["volumes"]}


def test_two_web_containers_share_no_media_volume_and_keep_files_in_the_buckets():
    web = OVERRIDE["services"]["web"]

    assert web["deploy"]["replicas"] == 2
    assert web["environment"]["MEDIA_STORAGE"] == "s3"
    for service in ("web", "migrate", "front"):
        assert not mounted(service) & {"media", "private-media"}, service
        assert set(OVERRIDE["services"][service]) <= set(BASE["services"][service]) | {"deploy"}, service
    assert "backups" in mounted("web")  # `manage.py backup` still writes its archives to a volume
    assert {"static", "acme"} <= mounted("front")
