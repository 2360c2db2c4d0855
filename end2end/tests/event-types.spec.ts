import { test, expect, waitForHydration } from "./support/fixtures";
import { ADMIN, signIn } from "./support/accounts";

test("a TenantAdmin adds a custom event type with example data, uses it, and deletes it", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Event types" }).click();
  await expect(page).toHaveURL(/\/admin\/event-types$/);
  await waitForHydration(page);

  const suffix = Date.now().toString(36);
  const typeName = `com.example.deploy${suffix}.finished`;
  const form = page.getByRole("region", { name: "Add an event type" });
  await form.getByLabel("Name").fill("Not a reverse DNS name");
  await form.getByLabel("Title").fill("Deploy finished");
  await form.getByLabel("Category").fill(`Deployments ${suffix}`);
  await form.getByLabel("User").check();
  await form.getByLabel("Example data (JSON)").fill('{"service": "orders", ');
  await form.getByRole("button", { name: "Add event type" }).click();
  await expect(form.locator(".field-message").first()).not.toBeEmpty();
  await form.getByLabel("Name").fill(typeName);
  await form.getByRole("button", { name: "Add event type" }).click();
  await expect(form.getByText(/The example is not valid JSON/)).toBeVisible();
  await expect(form.getByLabel("Title")).toHaveValue("Deploy finished");
  await form.getByLabel("Example data (JSON)").fill('{"service": "orders", "version": 7}');
  await form.getByRole("button", { name: "Add event type" }).click();
  await expect(form.getByRole("status")).toContainText(`${typeName} was added.`);
  const row = page.locator(`tr[data-event-type="${typeName}"]`);
  await expect(row).toContainText("tenant, user");
  await expect(row).toContainText('{"service":"orders","version":7}');

  // It is offered in the create panel under its category.
  await page.goto("/webhooks");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Create", exact: true }).click();
  const panel = page.getByRole("dialog", { name: "Create webhook" });
  await expect(panel.getByRole("group", { name: `Deployments ${suffix}` }).getByLabel("Deploy finished")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(panel).toBeHidden();

  // Delete, after a confirmation.
  await page.goto("/admin/event-types");
  await waitForHydration(page);
  await row.getByRole("button", { name: `Delete ${typeName}` }).click();
  const dialog = page.getByRole("dialog", { name: `Delete ${typeName}?` });
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toHaveCount(0);
});
