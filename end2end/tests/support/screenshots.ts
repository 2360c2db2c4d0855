import path from "node:path";
import type { Locator, Page, TestInfo } from "@playwright/test";

/** Saves a screenshot under test-results/screenshots/ for a reviewer to look at. */
export async function saveScreenshot(info: TestInfo, name: string, target: Page | Locator): Promise<void> {
  await target.screenshot({ path: path.join(info.project.outputDir, "screenshots", `${name}.png`) });
}
