-- Fewer index entries per stored event.
--
-- `event_epcs` repeated what `event_keys` already holds: every identifier an event
-- names is a key of it under its role (epc, child, parent, input, output, class,
-- inclass, outclass, lot). An event's lookup by identifier (`events_for_epc`) now
-- reads `event_keys`, which saves a B-tree entry per EPC on every captured event.
-- The few names a platform event carries that are none of its keys are kept as
-- `named` keys, here for the events already stored and at insert for new ones.
INSERT INTO event_keys (role, value, event_pk)
SELECT 'named', x.epc, x.event_pk FROM event_epcs x
WHERE NOT EXISTS (
    SELECT 1 FROM event_keys k
    WHERE k.event_pk = x.event_pk AND k.value = x.epc
      AND k.role IN ('epc', 'child', 'parent', 'input', 'output', 'class', 'inclass', 'outclass', 'lot')
)
ON CONFLICT DO NOTHING;
DROP TABLE event_epcs;

-- Keys are looked up by (role, value) through the primary key. By event they are
-- only probed for visibility (does this event carry one of the reader's company
-- prefixes?), so only `cp` keys need an entry by event: one B-tree entry fewer for
-- every other key.
DROP INDEX event_keys_event;
CREATE INDEX event_keys_cp_event ON event_keys(event_pk) WHERE role = 'cp';
