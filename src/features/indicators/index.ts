// Indicators: /tiendo and its td: buttons (commands.ts), POST/GET /api/indicators (api.ts), imports (importer.ts).
import type { Feature } from "../../core/feature.ts";
import { indicatorsApi } from "./api.ts";
import { registerIndicatorCommands } from "./commands.ts";

export const indicatorsFeature: Feature = {
  name: "indicators",
  register: (router) => registerIndicatorCommands(router),
  api: () => indicatorsApi,
};
