-- What a change replaced (Graph's modifiedProperties), as a JSON array;
-- '' when the event names none.
ALTER TABLE audit_events ADD COLUMN modified_properties TEXT NOT NULL DEFAULT '';
