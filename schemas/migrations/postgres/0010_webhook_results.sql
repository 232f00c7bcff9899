-- The console shows each agency endpoint's last delivery: the newest
-- attempted webhook notification of the agency.
CREATE INDEX notifications_agency ON notifications (agency_org_id, updated_at) WHERE channel = 'webhook';
