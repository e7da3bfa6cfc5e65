"""Stale changes of a catalogue draft and of an entrustment are refused (issue 12)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.authtoken.models import Token

from zhifa.catalogue import services
from zhifa.catalogue.models import CatalogueVersion, Entrustment, PublishedVersionError

pytestmark = pytest.mark.django_db


@pytest.fixture
def t1_admin(make_user):
    return make_user("township_admin", township="T01", username="t1admin")


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="countyadmin")


@pytest.fixture
def draft(small, t1_admin):
    return services.create_draft(t1_admin, small["t1"])


def test_publishing_a_draft_changed_since_it_was_seen_is_refused(small, t1_admin, draft):
    seen = draft.revision
    services.pick(t1_admin, draft.pk, small["items"]["A004"].pk)  # someone else, meanwhile
    later = timezone.localdate() + dt.timedelta(days=10)
    with pytest.raises(services.StaleVersion) as err:
        services.publish(t1_admin, draft.pk, later, expected_revision=seen)
    assert "已被他人修改" in err.value.messages[0]
    draft.refresh_from_db()
    assert not draft.is_published and draft.revision == seen + 1
    services.publish(t1_admin, draft.pk, later, expected_revision=draft.revision)
    draft.refresh_from_db()
    assert draft.is_published
    # A second publisher who saw the draft before gets a clear refusal, not a re-publication.
    with pytest.raises(PublishedVersionError):
        services.publish(t1_admin, draft.pk, later + dt.timedelta(days=1), expected_revision=seen + 1)
    assert CatalogueVersion.objects.get(pk=draft.pk).effective_date == later


def test_the_publish_form_carries_the_revision_and_a_stale_post_says_so(client, small, t1_admin, draft):
    client.force_login(t1_admin)
    page = client.get(f"/catalogue/versions/{draft.pk}/").content.decode()
    assert f'name="revision" value="{draft.revision}"' in page
    services.unpick(t1_admin, draft.pk, small["items"]["A002"].pk)
    later = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    r = client.post(
        f"/catalogue/versions/{draft.pk}/publish/", {"effective_date": later, "revision": draft.revision}
    )
    assert "已被他人修改" in client.get(r["Location"]).content.decode()
    assert not CatalogueVersion.objects.get(pk=draft.pk).is_published
    r = client.post(f"/catalogue/versions/{draft.pk}/discard/", {"revision": draft.revision})
    assert CatalogueVersion.objects.filter(pk=draft.pk).exists()


def test_api_publish_from_an_old_revision_is_409(client, small, t1_admin, draft):
    headers = {"Authorization": f"Token {Token.objects.create(user=t1_admin).key}"}
    seen = client.get(f"/api/catalogue/versions/{draft.pk}/", headers=headers).json()["revision"]
    services.pick(t1_admin, draft.pk, small["items"]["A004"].pk)
    later = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    url = f"/api/catalogue/versions/{draft.pk}/publish/"
    stale = client.post(
        url, {"effective_date": later, "revision": seen}, content_type="application/json", headers=headers
    )
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["error"]
    assert not CatalogueVersion.objects.get(pk=draft.pk).is_published
    fresh = client.post(
        url, {"effective_date": later, "revision": seen + 1}, content_type="application/json", headers=headers
    )
    assert fresh.status_code == 200 and fresh.json()["status"] == "published"


def test_a_stale_entrustment_edit_changes_nothing(client, small, admin):
    today = timezone.localdate()
    e = Entrustment.objects.get(doc_no="林委〔2026〕1号")
    e.valid_from, e.valid_to = today - dt.timedelta(days=5), today + dt.timedelta(days=100)
    e.save()
    seen = e.revision
    services.update_entrustment(
        admin,
        e.pk,
        doc_no="林委〔2026〕1号（更正）",
        item_codes=["A003"],
        valid_from=e.valid_from,
        valid_to=e.valid_to,
        expected_revision=seen,
    )
    with pytest.raises(ValidationError) as err:
        services.update_entrustment(
            admin,
            e.pk,
            doc_no="林委〔2026〕9号",
            item_codes=["A003"],
            valid_from=e.valid_from,
            valid_to=e.valid_to,
            expected_revision=seen,
        )
    assert "已被他人修改" in str(err.value)
    e.refresh_from_db()
    assert e.doc_no == "林委〔2026〕1号（更正）" and e.revision == seen + 1
    # The page: the edit form carries the revision; a stale post shows the refusal and keeps the row.
    client.force_login(admin)
    page = client.get(f"/catalogue/entrustments/{e.pk}/edit/").content.decode()
    assert f'name="revision" value="{e.revision}"' in page
    body = client.post(
        f"/catalogue/entrustments/{e.pk}/",
        {"ended_on": today.isoformat(), "end_reason": "机构调整", "revision": seen},
    ).content.decode()
    assert "已被他人修改" in body
    e.refresh_from_db()
    assert e.ended_on is None


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_publishers_at_once_one_publishes_the_other_is_refused(small, t1_admin):
    from django.db import connection, connections

    assert connection.vendor == "postgresql"
    draft = services.create_draft(t1_admin, small["t1"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    later = timezone.localdate() + dt.timedelta(days=10)

    def publisher(offset: int) -> None:
        try:
            barrier.wait()
            services.publish(
                t1_admin, draft.pk, later + dt.timedelta(days=offset), expected_revision=draft.revision
            )
            outcomes.append("published")
        except (PublishedVersionError, services.StaleVersion):
            outcomes.append("refused")
        except BaseException as exc:  # pragma: no cover - reported below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publisher, args=(n,)) for n in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["published", "refused"]
    draft.refresh_from_db()
    assert draft.is_published and draft.revision == 1
