import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import AuditEvent, Skill


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_migrations_seed_skills(ctx):
    slugs = set(db.session.scalars(sa.select(Skill.slug)))
    assert {"childcare", "dbs-checked", "legal-advice", "translation-polish"} <= slugs
    assert (
        db.session.scalar(sa.select(Skill.is_credential).where(Skill.slug == "dbs-checked")) is True
    )


def test_audit_trail_records_creation(ctx, create_group):
    group = create_group(name="Hackney Mutual Aid")
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_type == "group")
    ).all()
    assert [(e.action, e.entity_id) for e in events] == [("create", str(group.id))]
