"""Files on two nodes sharing one PostgreSQL database and nothing else (issue 12): the
default `--file-store database` lets node B serve what node A received, thumbnails too,
and a deletion on B ends access on A, with the bytes gone from the database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import Api, group_of
from tests.support.cluster import CLUSTER_SKIP, Cluster, cluster
from tests.support.dbpeek import fetch
from tests.support.files import delete_message, jpeg_with_gps, opened, send_files, uploaded
from tests.support.revocation import on_node, within_bound
from tests.support.sockets import connect

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(CLUSTER_SKIP is not None, reason=CLUSTER_SKIP or ""),
]


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[Cluster]:
    with cluster(tmp_path, nodes=2) as c:
        yield c


async def test_a_file_uploaded_on_one_node_is_served_by_the_other(two_nodes: Cluster) -> None:
    node_a, node_b = two_nodes.nodes
    alice = await Api.new_user(node_a.url)
    bob = await Api.new_user(node_a.url)
    group_id = await group_of(alice, bob)
    bob_b = on_node(bob, node_b.url)
    alice_b = on_node(alice, node_b.url)
    big = uuid.uuid4().bytes * 200_000  # 3.2 MB: four chunk rows
    image = await uploaded(alice, jpeg_with_gps(), "photo.jpg")
    blob = await uploaded(alice, big, "data.bin")
    socket_b = await connect(node_b.url, bob.token or "")
    try:
        message = (await send_files(alice, group_id, [image["id"], blob["id"]], "two")).json()
        heard = await socket_b.wait_for("message:new", lambda m: m["id"] == message["id"])
        assert heard["attachments"] == [image, blob]
    finally:
        await socket_b.close()
    # Neither node's data dir holds any of it: the bytes are rows.
    for node in (node_a, node_b):
        assert not list((node.data_dir / "files").glob("??/*"))
    got = await bob_b.request("GET", f"/api/files/{blob['id']}")
    assert got.status_code == 200 and got.content == big
    middle = await bob_b.request(
        "GET", f"/api/files/{blob['id']}", headers={"Range": "bytes=1048570-1048589"}
    )
    assert middle.status_code == 206 and middle.content == big[1048570:1048590]
    thumb = await bob_b.request("GET", f"/api/files/{image['id']}/thumbnail")
    assert thumb.status_code == 200 and max(opened(thumb.content).size) <= 320
    chunks_before = await fetch(node_a, "SELECT count(*) FROM blob_chunks")
    # Deleted through node B: node A refuses it too, and the bytes are gone.
    deleted = await delete_message(alice_b, group_id, message["id"])
    assert deleted.status_code == 201, deleted.text

    async def gone_on_a() -> bool:
        return (await bob.request("GET", f"/api/files/{blob['id']}")).status_code == 404

    await within_bound(gone_on_a)
    chunks_after = await fetch(node_a, "SELECT count(*) FROM blob_chunks")
    assert chunks_before[0][0] > 0 and chunks_after[0][0] == 0
    left = await fetch(node_a, "SELECT count(*) FROM files")
    assert left[0][0] == 0
    for api in (alice, bob, alice_b, bob_b):
        await api.close()
