import { get, session } from '../api';
import { h } from '../dom';

/** Sign-in with an API key (or an OIDC access token where the gateway has OIDC on), checked against /api/v1/me. */
export function signIn(onSignedIn: () => void, reason?: string): HTMLElement {
  const key = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'off', required: true, size: 48 });
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, reason ?? '');
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to tuneforge'),
    h('label', { for: 'key' }, 'API key (tf_…) or OIDC access token'), key,
    h('button', { type: 'submit' }, 'Sign in'), error,
    h('p', { class: 'hint' }, 'The first start of the platform printed the admin key (bin/tuneforge up). ',
      'The key stays in this tab only (sessionStorage).'));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    error.textContent = '';
    session.signIn(key.value.trim());
    try {
      await get('/api/v1/me');
      onSignedIn();
    } catch (err) {
      session.signOut();
      error.textContent = `Sign-in failed: ${(err as Error).message}`;
      key.focus();
    }
  });
  queueMicrotask(() => key.focus());
  return h('main', { id: 'main' }, form);
}
