import { test, expect, waitForHydration } from "./support/fixtures";
import { ADMIN, signIn, uniqueEmail } from "./support/accounts";
import { call, createWebhook, uniqueName } from "./support/console";
import { endpoint } from "./support/receiver";

test("a Use webhooks user sees and makes only their own webhooks, and no admin pages", async ({ page, newPage }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const tenantWide = await createWebhook(page, { name: uniqueName("Tenant-wide"), url: endpoint("/tenant") });
  const email = uniqueEmail("user");
  const invite = await call<{ url: string }>(page, "invite_user", {
    email,
    display_name: "Una User",
    role: "use-webhooks",
    external_id: "",
  });

  const user = await newPage();
  await user.goto(invite.url);
  await waitForHydration(user);
  await user.getByLabel("Password", { exact: true }).fill("invitee passphrase 1");
  await user.getByLabel("Password again").fill("invitee passphrase 1");
  await user.getByRole("button", { name: "Join" }).click();
  await expect(user).toHaveURL(/\/webhooks$/);
  await waitForHydration(user);

  const nav = user.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Webhooks" })).toBeVisible();
  for (const admin of ["Users", "API keys", "Event types"]) {
    await expect(nav.getByRole("link", { name: admin })).toHaveCount(0);
  }
  await expect(user.getByRole("heading", { name: "No webhooks yet" })).toBeVisible();
  await expect(user.locator(`tr[data-webhook="${tenantWide.name}"]`)).toHaveCount(0);

  // Their own webhook: no Level or Owner to choose, tenant-only types unavailable.
  const name = uniqueName("Mine");
  await user.getByRole("button", { name: "Create your first webhook" }).click();
  const panel = user.getByRole("dialog", { name: "Create webhook" });
  await expect(panel.getByLabel("Name", { exact: true })).toBeVisible();
  await expect(panel.getByLabel("Level", { exact: true })).toHaveCount(0);
  await expect(panel.getByLabel("Owner", { exact: true })).toHaveCount(0);
  await expect(panel.getByRole("group", { name: "Users" }).getByLabel(/Created/)).toBeDisabled();
  await panel.getByLabel("Name", { exact: true }).fill(name);
  await panel.getByLabel("URL").fill(endpoint("/mine"));
  await panel.getByRole("group", { name: "Apps" }).getByLabel("Published").check();
  await panel.getByRole("button", { name: "Create", exact: true }).click();
  await expect(panel).toBeHidden();
  await expect(user.locator("tbody tr[data-webhook]")).toHaveCount(1);
  await expect(user.locator(`tr[data-webhook="${name}"]`)).toContainText("Una User");

  for (const path of ["/admin/users", "/admin/api-keys", "/admin/event-types"]) {
    const refused = await user.goto(path);
    expect(refused?.status(), path).toBe(403);
    await expect(user.getByRole("heading", { name: "You cannot open this page" })).toBeVisible();
  }

  // The admin sees both.
  await page.goto("/webhooks");
  await waitForHydration(page);
  await expect(page.locator(`tr[data-webhook="${name}"]`)).toBeVisible();
  await expect(page.locator(`tr[data-webhook="${tenantWide.name}"]`)).toBeVisible();
});
