// Roles and privacy in chat: /moi, /xacthuc, /lienket, /quyen, /nhatky, /xoadulieu (commands.ts).
import type { Feature } from "../../core/feature.ts";
import { registerAccessCommands } from "./commands.ts";

export const accessFeature: Feature = {
  name: "access",
  register: (router) => registerAccessCommands(router),
};
