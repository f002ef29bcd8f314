-- Groups of communes (cụm, liên xã) a province may keep between the commune and the province working
-- group since 1/7/2025, their members and their leads (see src/features/unit-groups.ts).

-- CreateTable
CREATE TABLE "unit_group" (
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "province_code" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "unit_group_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "unit_group_member" (
    "group_code" TEXT NOT NULL,
    "unit_code" TEXT NOT NULL,

    CONSTRAINT "unit_group_member_pkey" PRIMARY KEY ("group_code","unit_code")
);

-- CreateTable
CREATE TABLE "unit_group_lead" (
    "group_code" TEXT NOT NULL,
    "person_id" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "unit_group_lead_pkey" PRIMARY KEY ("group_code","person_id")
);

-- CreateIndex
CREATE INDEX "unit_group_province_code_idx" ON "unit_group"("province_code");

-- CreateIndex
CREATE UNIQUE INDEX "unit_group_member_unit_code_key" ON "unit_group_member"("unit_code");

-- AddForeignKey
ALTER TABLE "unit_group" ADD CONSTRAINT "unit_group_province_code_fkey" FOREIGN KEY ("province_code") REFERENCES "admin_unit"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "unit_group_member" ADD CONSTRAINT "unit_group_member_group_code_fkey" FOREIGN KEY ("group_code") REFERENCES "unit_group"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "unit_group_member" ADD CONSTRAINT "unit_group_member_unit_code_fkey" FOREIGN KEY ("unit_code") REFERENCES "admin_unit"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "unit_group_lead" ADD CONSTRAINT "unit_group_lead_group_code_fkey" FOREIGN KEY ("group_code") REFERENCES "unit_group"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "unit_group_lead" ADD CONSTRAINT "unit_group_lead_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;
