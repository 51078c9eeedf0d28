"""`group:muted` reaches the user's sockets on every node (two nodes on PostgreSQL with a
Redis of their own): the mute is asked of node 1, a socket on node 2 hears it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import Api, group_of
from tests.support.cluster import CLUSTER_SKIP, Cluster, cluster
from tests.support.sockets import connect

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(CLUSTER_SKIP is not None, reason=CLUSTER_SKIP or ""),
]


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[Cluster]:
    with cluster(tmp_path, nodes=2) as c:
        yield c


async def test_mute_on_one_node_reaches_sockets_on_the_other(two_nodes: Cluster) -> None:
    first, second = two_nodes.nodes
    alice = await Api.new_user(first.url)
    bob = await Api.new_user(first.url)
    group_id = await group_of(alice, bob)
    elsewhere_v2 = await connect(second.url, bob.token or "", protocol=2)
    elsewhere_v1 = await connect(second.url, bob.token or "")
    try:
        answer = await bob.request("PUT", f"/api/groups/{group_id}/muted", json={"muted": True})
        assert answer.status_code == 200, answer.text
        expected = {"group_id": group_id, "muted": True}
        assert await elsewhere_v2.wait_for("group:muted") == expected
        assert await elsewhere_v1.wait_for("group:muted") == expected
        on_second = Api(second.url, bob.token, bob.user)
        detail = (await on_second.request("GET", f"/api/groups/{group_id}")).json()
        assert detail["muted"] is True
        await on_second.close()
    finally:
        await elsewhere_v2.close()
        await elsewhere_v1.close()
        await alice.close()
        await bob.close()
