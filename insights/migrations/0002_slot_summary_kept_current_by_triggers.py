"""Triggers that forget a stored insights day as soon as anything it was computed from changes.

Statement-level with transition tables, so a bulk update of thousands of appointments costs one
delete, not thousands. Each takes a shared advisory lock on the center (namespace -16, the center
id; the booking locks use positive center ids) so that the filler, holding it exclusively, never
stores a day from a snapshot that misses a change (see ``insights.models``).
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION insights_forget_days(p_centers bigint[], p_days date[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(-16, c::int) FROM (SELECT DISTINCT unnest(p_centers) AS c ORDER BY 1) x;
    DELETE FROM insights_summarizedday m USING unnest(p_centers, p_days) AS g(center_id, day)
        WHERE m.center_id = g.center_id AND m.day = g.day;
    DELETE FROM insights_slotfigure f USING unnest(p_centers, p_days) AS g(center_id, day)
        WHERE f.center_id = g.center_id AND f.day = g.day;
END $$;

CREATE FUNCTION insights_forget_center(p_center bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_center IS NULL THEN RETURN; END IF;
    PERFORM pg_advisory_xact_lock_shared(-16, p_center::int);
    DELETE FROM insights_summarizedday WHERE center_id = p_center;
    DELETE FROM insights_slotfigure WHERE center_id = p_center;
END $$;

-- Appointments: the local day of the start, before and after the change (only columns the figures read).
CREATE FUNCTION insights_appointments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE centers bigint[]; days date[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(center_id), array_agg(day) INTO centers, days FROM (
            SELECT DISTINCT n.center_id, (n.start AT TIME ZONE c.timezone)::date AS day
            FROM new_rows n JOIN chairs_center c ON c.id = n.center_id) x;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(center_id), array_agg(day) INTO centers, days FROM (
            SELECT DISTINCT o.center_id, (o.start AT TIME ZONE c.timezone)::date AS day
            FROM old_rows o JOIN chairs_center c ON c.id = o.center_id) x;
    ELSE
        SELECT array_agg(center_id), array_agg(day) INTO centers, days FROM (
            SELECT DISTINCT r.center_id, (r.start AT TIME ZONE c.timezone)::date AS day
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            CROSS JOIN LATERAL (VALUES (o.center_id, o.start), (n.center_id, n.start)) AS r(center_id, start)
            JOIN chairs_center c ON c.id = r.center_id
            WHERE (o.start, o."end", o.status, o.chair_id, o.center_id, o.chair_start_at, o.discharged_at)
                  IS DISTINCT FROM (n.start, n."end", n.status, n.chair_id, n.center_id, n.chair_start_at, n.discharged_at)
        ) x;
    END IF;
    IF centers IS NOT NULL THEN PERFORM insights_forget_days(centers, days); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER insights_appointments_inserted AFTER INSERT ON scheduling_appointment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_appointments_changed();
CREATE TRIGGER insights_appointments_updated AFTER UPDATE ON scheduling_appointment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_appointments_changed();
CREATE TRIGGER insights_appointments_deleted AFTER DELETE ON scheduling_appointment
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_appointments_changed();

-- Nurse shifts and chair blocks: every local day from their start to their end.

CREATE FUNCTION insights_shifts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE centers bigint[]; days date[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(center_id), array_agg(day) INTO centers, days FROM (
            SELECT DISTINCT s.center_id, d::date AS day FROM new_rows s JOIN chairs_center c ON c.id = s.center_id,
                generate_series((s.start AT TIME ZONE c.timezone)::date, (s."end" AT TIME ZONE c.timezone)::date, interval '1 day') d) x;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(center_id), array_agg(day) INTO centers, days FROM (
            SELECT DISTINCT s.center_id, d::date AS day FROM old_rows s JOIN chairs_center c ON c.id = s.center_id,
                generate_series((s.start AT TIME ZONE c.timezone)::date, (s."end" AT TIME ZONE c.timezone)::date, interval '1 day') d) x;
    ELSE
        SELECT array_agg(center_id), array_agg(day) INTO centers, days FROM (
            SELECT DISTINCT s.center_id, d::date AS day FROM (SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows) s
                JOIN chairs_center c ON c.id = s.center_id,
                generate_series((s.start AT TIME ZONE c.timezone)::date, (s."end" AT TIME ZONE c.timezone)::date, interval '1 day') d) x;
    END IF;
    IF centers IS NOT NULL THEN PERFORM insights_forget_days(centers, days); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER insights_shifts_inserted AFTER INSERT ON chairs_nurseshift
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_shifts_changed();
CREATE TRIGGER insights_shifts_updated AFTER UPDATE ON chairs_nurseshift
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_shifts_changed();
CREATE TRIGGER insights_shifts_deleted AFTER DELETE ON chairs_nurseshift
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_shifts_changed();

CREATE FUNCTION insights_blocks_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE centers bigint[]; days date[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(center_id), array_agg(day) INTO centers, days FROM (
            SELECT DISTINCT ch.center_id, d::date AS day FROM new_rows b JOIN chairs_chair ch ON ch.id = b.chair_id
                JOIN chairs_center c ON c.id = ch.center_id,
                generate_series((b.start AT TIME ZONE c.timezone)::date, (b."end" AT TIME ZONE c.timezone)::date, interval '1 day') d) x;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(center_id), array_agg(day) INTO centers, days FROM (
            SELECT DISTINCT ch.center_id, d::date AS day FROM old_rows b JOIN chairs_chair ch ON ch.id = b.chair_id
                JOIN chairs_center c ON c.id = ch.center_id,
                generate_series((b.start AT TIME ZONE c.timezone)::date, (b."end" AT TIME ZONE c.timezone)::date, interval '1 day') d) x;
    ELSE
        SELECT array_agg(center_id), array_agg(day) INTO centers, days FROM (
            SELECT DISTINCT ch.center_id, d::date AS day FROM (SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows) b
                JOIN chairs_chair ch ON ch.id = b.chair_id JOIN chairs_center c ON c.id = ch.center_id,
                generate_series((b.start AT TIME ZONE c.timezone)::date, (b."end" AT TIME ZONE c.timezone)::date, interval '1 day') d) x;
    END IF;
    IF centers IS NOT NULL THEN PERFORM insights_forget_days(centers, days); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER insights_blocks_inserted AFTER INSERT ON chairs_chairblock
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_blocks_changed();
CREATE TRIGGER insights_blocks_updated AFTER UPDATE ON chairs_chairblock
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_blocks_changed();
CREATE TRIGGER insights_blocks_deleted AFTER DELETE ON chairs_chairblock
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_blocks_changed();

-- Closures: their day. Rare, so row-level.
CREATE FUNCTION insights_closure_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM insights_forget_days(ARRAY[OLD.center_id], ARRAY[OLD.date]); END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM insights_forget_days(ARRAY[NEW.center_id], ARRAY[NEW.date]); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER insights_closure_changed AFTER INSERT OR UPDATE OR DELETE ON chairs_closure
    FOR EACH ROW EXECUTE FUNCTION insights_closure_changed();

-- Chairs and opening hours: every stored day of the center (its grid or its chairs changed).
CREATE FUNCTION insights_center_setup_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM insights_forget_center(OLD.center_id); END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.center_id IS DISTINCT FROM OLD.center_id) THEN
        PERFORM insights_forget_center(NEW.center_id);
    END IF;
    RETURN NULL;
END $$;
-- (Updates only when a column the figures read changes: reordering chairs on the board changes nothing.)
CREATE TRIGGER insights_chairs_added_or_removed AFTER INSERT OR DELETE ON chairs_chair
    FOR EACH ROW EXECUTE FUNCTION insights_center_setup_changed();
CREATE TRIGGER insights_chairs_changed AFTER UPDATE ON chairs_chair
    FOR EACH ROW WHEN ((OLD.center_id, OLD.kind, OLD.is_active) IS DISTINCT FROM (NEW.center_id, NEW.kind, NEW.is_active))
    EXECUTE FUNCTION insights_center_setup_changed();
CREATE TRIGGER insights_hours_added_or_removed AFTER INSERT OR DELETE ON chairs_openinghours
    FOR EACH ROW EXECUTE FUNCTION insights_center_setup_changed();
CREATE TRIGGER insights_hours_changed AFTER UPDATE ON chairs_openinghours
    FOR EACH ROW WHEN ((OLD.center_id, OLD.weekday, OLD.opens, OLD.closes, OLD.break_starts, OLD.break_ends)
                       IS DISTINCT FROM (NEW.center_id, NEW.weekday, NEW.opens, NEW.closes, NEW.break_starts, NEW.break_ends))
    EXECUTE FUNCTION insights_center_setup_changed();

-- A center's time zone: its local days move.
CREATE FUNCTION insights_center_zone_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM insights_forget_center(NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER insights_center_zone_changed AFTER UPDATE OF timezone ON chairs_center
    FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone) EXECUTE FUNCTION insights_center_zone_changed();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS insights_center_zone_changed ON chairs_center;
DROP TRIGGER IF EXISTS insights_hours_changed ON chairs_openinghours;
DROP TRIGGER IF EXISTS insights_hours_added_or_removed ON chairs_openinghours;
DROP TRIGGER IF EXISTS insights_chairs_changed ON chairs_chair;
DROP TRIGGER IF EXISTS insights_chairs_added_or_removed ON chairs_chair;
DROP TRIGGER IF EXISTS insights_closure_changed ON chairs_closure;
DROP TRIGGER IF EXISTS insights_blocks_deleted ON chairs_chairblock;
DROP TRIGGER IF EXISTS insights_blocks_updated ON chairs_chairblock;
DROP TRIGGER IF EXISTS insights_blocks_inserted ON chairs_chairblock;
DROP TRIGGER IF EXISTS insights_shifts_deleted ON chairs_nurseshift;
DROP TRIGGER IF EXISTS insights_shifts_updated ON chairs_nurseshift;
DROP TRIGGER IF EXISTS insights_shifts_inserted ON chairs_nurseshift;
DROP TRIGGER IF EXISTS insights_appointments_deleted ON scheduling_appointment;
DROP TRIGGER IF EXISTS insights_appointments_updated ON scheduling_appointment;
DROP TRIGGER IF EXISTS insights_appointments_inserted ON scheduling_appointment;
DROP FUNCTION IF EXISTS insights_center_zone_changed();
DROP FUNCTION IF EXISTS insights_center_setup_changed();
DROP FUNCTION IF EXISTS insights_closure_changed();
DROP FUNCTION IF EXISTS insights_blocks_changed();
DROP FUNCTION IF EXISTS insights_shifts_changed();
DROP FUNCTION IF EXISTS insights_appointments_changed();
DROP FUNCTION IF EXISTS insights_forget_center(bigint);
DROP FUNCTION IF EXISTS insights_forget_days(bigint[], date[]);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_slot_summary"),
        ("chairs", "0002_opening_breaks_and_chair_order"),
        ("scheduling", "0004_dose_rules_and_chair_checks"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
