-- The agency service subsidy is paid once per person and agreement (issue
-- 30): its claim names the agreement (the evidence's second entry) instead
-- of the month. Claims listed before are rewritten so that what was paid is
-- never listed again; where a person was already listed twice under one
-- agreement, the first keeps the new claim and the later ones their old.
UPDATE payment_rows
SET claim = rule || '|' || payee_kind || ':' || payee_code || '|' || person_id || '|agreement:' || (CAST(evidence AS json) ->> 1)
WHERE rule = 'agency_service' AND claim IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM payment_rows o
    WHERE o.rule = 'agency_service' AND o.claim IS NOT NULL
      AND o.person_id = payment_rows.person_id AND o.payee_code = payment_rows.payee_code
      AND (CAST(o.evidence AS json) ->> 1) = (CAST(payment_rows.evidence AS json) ->> 1)
      AND o.id < payment_rows.id
  );
