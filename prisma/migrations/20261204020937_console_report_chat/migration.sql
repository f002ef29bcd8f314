-- AlterTable
ALTER TABLE "broadcast" ADD COLUMN     "report_identity_id" INTEGER;

-- AlterTable
ALTER TABLE "console_link" ADD COLUMN     "identity_id" INTEGER;

-- AlterTable
ALTER TABLE "console_session" ADD COLUMN     "identity_id" INTEGER;

-- AddForeignKey
ALTER TABLE "console_link" ADD CONSTRAINT "console_link_identity_id_fkey" FOREIGN KEY ("identity_id") REFERENCES "channel_identity"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "console_session" ADD CONSTRAINT "console_session_identity_id_fkey" FOREIGN KEY ("identity_id") REFERENCES "channel_identity"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "broadcast" ADD CONSTRAINT "broadcast_report_identity_id_fkey" FOREIGN KEY ("report_identity_id") REFERENCES "channel_identity"("id") ON DELETE SET NULL ON UPDATE CASCADE;
