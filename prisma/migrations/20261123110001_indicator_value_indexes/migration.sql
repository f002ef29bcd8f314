-- DropIndex
DROP INDEX "indicator_value_indicator_code_period_idx";

-- Room in every page for the new version of a row when an import supersedes it (superseded_at is in no
-- index, so the update stays on the page: a "HOT" update that touches no index). Not modelled in
-- schema.prisma, which has no storage parameters.
ALTER TABLE "indicator_value" SET (fillfactor = 70);
