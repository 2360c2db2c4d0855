import { test, expect, waitForHydration } from "./support/fixtures";
import { ADMIN, signIn, uniqueEmail } from "./support/accounts";

test("an invited user joins with the invite link and cannot open the admin pages", async ({ page, newPage }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);

  const email = uniqueEmail("user");
  const invite = page.getByRole("region", { name: "Add a user" });
  await invite.getByLabel("E-mail address").fill(email);
  await invite.getByLabel("Name").fill("Una User");
  await invite.getByLabel("Permission").selectOption({ label: "Use webhooks" });
  await invite.getByRole("button", { name: "Add user" }).click();
  const link = invite.getByRole("textbox", { name: "Invite link" });
  await expect(link).toHaveValue(/\/invite\?token=/);
  const url = await link.inputValue();
  await expect(page.locator(`tr[data-user="${email}"]`)).toContainText("Invited");

  // The invitee, in a browser of their own.
  const invitee = await newPage();
  await invitee.goto(url);
  await waitForHydration(invitee);
  await expect(invitee.getByText(email)).toBeVisible();
  await invitee.getByLabel("Password", { exact: true }).fill("invitee passphrase 1");
  await invitee.getByLabel("Password again").fill("invitee passphrase 1");
  await invitee.getByRole("button", { name: "Join" }).click();
  await expect(invitee).toHaveURL(/\/webhooks$/);
  const nav = invitee.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Webhooks" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Users" })).toHaveCount(0);

  const refused = await invitee.goto("/admin/users");
  expect(refused?.status()).toBe(403);
  await expect(invitee.getByRole("heading", { name: "You cannot open this page" })).toBeVisible();

  // The used link does not work twice.
  await page.goto(url);
  await waitForHydration(page);
  await expect(page.getByRole("alert")).toContainText("expired or has already been used");
});
