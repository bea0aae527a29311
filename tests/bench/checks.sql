-- The standard rules over audit_actions, written as plain SQL, for the
-- benchmark's comparison with `assure check`, as of 2022-10-03 (the value is
-- double-quoted so that the CLI binds the text: unquoted it would bind
-- 2022-10-03 = 2009, an integer that every date sorts after). Each SELECT
-- returns the rows the matching rule flags: "open" is the model's computed
-- column written out (no status counts as open, as there is no position
-- column), "due" is coalesce(current_due, original_due).
.parameter set :as_of "'2022-10-03'"
-- overdue-actions
SELECT action_id, description, owner, coalesce(current_due, original_due) FROM audit_actions
 WHERE (status IN ('not started', 'in progress') OR status IS NULL)
   AND coalesce(priority, '') <> 'high'
   AND coalesce(current_due, original_due) < :as_of;
-- high-priority-overdue
SELECT action_id, description, owner FROM audit_actions
 WHERE priority = 'high' AND (status IN ('not started', 'in progress') OR status IS NULL)
   AND coalesce(current_due, original_due) < :as_of;
-- overdue-against-original
SELECT action_id, original_due, current_due FROM audit_actions
 WHERE (status IN ('not started', 'in progress') OR status IS NULL)
   AND original_due < :as_of AND current_due >= :as_of;
-- repeated-extensions
SELECT a.action_id, max(coalesce(a.extensions, 0),
       (SELECT count(*) FROM action_revisions r WHERE r.action_id = a.action_id AND r.to_due <> r.from_due)) AS moves
  FROM audit_actions a
 WHERE (a.status IN ('not started', 'in progress') OR a.status IS NULL) AND moves >= 2;
-- long-outstanding-actions
SELECT action_id, original_due FROM audit_actions
 WHERE (status IN ('not started', 'in progress') OR status IS NULL)
   AND original_due < date(:as_of, '-365 days');
-- implemented-unverified
SELECT action_id, implemented_on FROM audit_actions
 WHERE status = 'implemented awaiting verification'
   AND coalesce(implemented_on, current_due, original_due) < date(:as_of, '-90 days');
-- action-without-owner-or-date
SELECT action_id FROM audit_actions
 WHERE (status IN ('not started', 'in progress') OR status IS NULL)
   AND (owner IS NULL OR coalesce(current_due, original_due) IS NULL);
