-- Two-tier local government (1/7/2025): units carry their validity and their official code; a succession
-- table links old units to new ones; unit_list_load records which official list was loaded (by the loader
-- in src/features/units/official.ts, run after the migrations).

-- CreateEnum
CREATE TYPE "SuccessionKind" AS ENUM ('WHOLE', 'PART');

-- AlterTable
ALTER TABLE "admin_unit" ADD COLUMN     "former_context" TEXT,
ADD COLUMN     "official_code" TEXT,
ADD COLUMN     "valid_from" DATE,
ADD COLUMN     "valid_to" DATE;

-- CreateTable
CREATE TABLE "unit_succession" (
    "id" SERIAL NOT NULL,
    "predecessor_code" TEXT NOT NULL,
    "successor_code" TEXT NOT NULL,
    "kind" "SuccessionKind" NOT NULL,
    "effective_date" DATE NOT NULL,
    "legal_basis" TEXT NOT NULL,
    "source" TEXT NOT NULL,

    CONSTRAINT "unit_succession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "unit_list_load" (
    "source" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "checksum" TEXT NOT NULL,
    "units" INTEGER NOT NULL,
    "successions" INTEGER NOT NULL,
    "loaded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "unit_list_load_pkey" PRIMARY KEY ("source","version")
);

-- CreateIndex
CREATE INDEX "unit_succession_successor_code_idx" ON "unit_succession"("successor_code");

-- CreateIndex
CREATE UNIQUE INDEX "unit_succession_predecessor_code_successor_code_key" ON "unit_succession"("predecessor_code", "successor_code");

-- CreateIndex
CREATE UNIQUE INDEX "admin_unit_official_code_valid_to_key" ON "admin_unit"("official_code", "valid_to");

-- AddForeignKey
ALTER TABLE "unit_succession" ADD CONSTRAINT "unit_succession_predecessor_code_fkey" FOREIGN KEY ("predecessor_code") REFERENCES "admin_unit"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "unit_succession" ADD CONSTRAINT "unit_succession_successor_code_fkey" FOREIGN KEY ("successor_code") REFERENCES "admin_unit"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every unit stored before this migration came from the province → district → commune list in force until
-- 30/6/2025 (the only tree this project knew). They become units of that ended edition: valid to
-- 2025-06-30, keyed "<code>-20250630", so the official codes of the current list (some reused: 44 was
-- Quảng Bình and is now Quảng Trị) can be loaded beside them without moving any figure, role or
-- subscription (every foreign key follows with ON UPDATE CASCADE).
UPDATE "admin_unit" SET
  "official_code" = "code",
  "valid_to" = DATE '2025-06-30',
  "path" = regexp_replace("path", '/([^/]+)', '/\1-20250630', 'g');
UPDATE "admin_unit" SET "code" = "code" || '-20250630';
