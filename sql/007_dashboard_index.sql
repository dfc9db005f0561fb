-- 007: "superseded" in one index probe.
--
-- intake_states asks, for each intake, whether a newer intake of the same
-- patient exists. With an index on patient_key alone that scans every
-- intake of the patient, so many intakes under one name and date of birth
-- (anyone may submit) made the dashboard quadratic in them. With the
-- newest-first key below it is one probe per intake.
CREATE INDEX intakes_patient_newest ON intakes (patient_key, received_at, id);
DROP INDEX intakes_patient_key;
