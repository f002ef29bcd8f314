-- AlterTable
ALTER TABLE "plan_task_unit" ADD COLUMN     "completed_at" TIMESTAMP(3),
ADD COLUMN     "completed_by" TEXT,
ADD COLUMN     "completion_note" TEXT;

-- AlterTable
ALTER TABLE "reminder" ADD COLUMN     "unit_code" TEXT;

-- CreateIndex
CREATE INDEX "reminder_task_id_status_idx" ON "reminder"("task_id", "status");
