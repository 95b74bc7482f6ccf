/**
 * "Sign in with <provider>" on the console's login page, in Chromium, against a real
 * OpenID Connect provider (oidc-provider on loopback) and the coordinator's ops API
 * serving the built console: the button leaves for the provider, the person signs in
 * there, and the browser comes back signed in with the role the claims map to and a
 * signing certificate for the sanitised subject. A person the mapping gives no role comes
 * back to the login page with the reason in the page's own words.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startOidcConsole } from '@vigil/coordinator/testing/oidc';
import { artifactsDir, launchBrowser, screenshot, seriousAxeViolations } from './browser.js';

const ACCOUNTS = [
  {
    sub: 'corp|ana',
    claims: { email: 'ana@corp.test', email_verified: true, groups: ['soc-analysts'] },
  },
  { sub: 'carl', claims: { groups: ['marketing'] } },
];
const ROLES = { analyst: ['soc-analysts'], admin: ['vigil-admins'] };

let browser: Browser;
const dir = artifactsDir('oidc');
before(async () => {
  browser = await launchBrowser();
  console.log(`screenshots: ${dir}`);
});
after(() => browser?.close());

test('Sign in with the provider: back signed in with the mapped role and a certificate for the sanitised subject', async (t) => {
  const { url, idp, name } = await startOidcConsole(t, ACCOUNTS, ROLES);
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${url}/`);
  const button = page.getByRole('link', { name: `Sign in with ${name}` });
  await button.waitFor();
  assert.deepEqual(await seriousAxeViolations(page), []);
  await screenshot(page, dir, 'login-with-sso');
  idp.signInAs('corp|ana');
  const certified = page.waitForResponse(
    (r) => new URL(r.url()).pathname === '/v1/session/certificate',
  );
  await button.click();
  await page.getByText('oidc.corp_7Cana').first().waitFor();
  await page.getByText('(analyst)').first().waitFor();
  const session = await page.evaluate(async () => (await fetch('/v1/session')).json());
  assert.deepEqual((session as { user: unknown }).user, { id: 'oidc.corp_7Cana', role: 'analyst' });
  // The same certificate flow as after a password: the page's own key, the sanitised subject.
  const certificate = await certified;
  assert.equal(certificate.status(), 200);
  const issued = (await certificate.json()) as { spiffeId: string; role: string };
  assert.equal(issued.spiffeId, 'spiffe://soc.test/user/oidc.corp_7Cana');
  assert.equal(issued.role, 'analyst');
  await screenshot(page, dir, 'signed-in-with-sso');
});

test('a person whose claims map to no role comes back to the login page with the reason', async (t) => {
  const { url, idp, name } = await startOidcConsole(t, ACCOUNTS, ROLES);
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${url}/`);
  idp.signInAs('carl');
  await page.getByRole('link', { name: `Sign in with ${name}` }).click();
  await page.getByRole('alert').filter({ hasText: 'has no role in this console' }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('signin-error'), 'VIGIL_API_OIDC_NOT_ALLOWED');
  assert.equal(await page.evaluate(async () => (await fetch('/v1/session')).status), 401);
  await screenshot(page, dir, 'refused');
});
