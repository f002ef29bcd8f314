-- AlterTable
ALTER TABLE "broadcast" ADD COLUMN     "cancelled_at" TIMESTAMP(3),
ADD COLUMN     "cancelled_by" TEXT,
ADD COLUMN     "client_key" TEXT,
ADD COLUMN     "expand_cursor" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "expanded_at" TIMESTAMP(3),
ADD COLUMN     "summary" JSONB;

-- CreateIndex
CREATE UNIQUE INDEX "broadcast_client_key_key" ON "broadcast"("client_key");
