-- CreateTable
CREATE TABLE "channel_update" (
    "key" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "lease_until" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "channel_update_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "channel_update_created_at_idx" ON "channel_update"("created_at");
