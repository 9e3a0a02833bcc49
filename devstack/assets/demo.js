// The demo app's script. It calls Appwrite's REST API the way the
// official web SDK does: fetch with credentials, the project header, and
// the X-Fallback-Cookies header kept in localStorage for browsers that
// drop Appwrite's session cookie.
'use strict';

(function () {
  const endpoint = document.body.dataset.endpoint;
  const project = document.body.dataset.project;
  const fallbackKey = 'cookieFallback'; // the web SDK's localStorage key

  class AppwriteError extends Error {
    constructor(message, status, type) {
      super(message);
      this.status = status;
      this.type = type;
    }
  }

  // call sends one request to Appwrite and returns the decoded JSON body,
  // or throws an AppwriteError carrying Appwrite's error type.
  async function call(method, path, body) {
    const headers = {
      'Accept': 'application/json',
      'Content-Type': 'application/json',
      'X-Appwrite-Project': project,
    };
    const fallback = window.localStorage.getItem(fallbackKey);
    if (fallback) {
      headers['X-Fallback-Cookies'] = fallback;
    }
    const init = { method: method, headers: headers, credentials: 'include' };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }

    let response;
    try {
      response = await fetch(endpoint + path, init);
    } catch (err) {
      throw new AppwriteError('Appwrite at ' + endpoint + ' cannot be reached: ' + err.message, 0, 'network_error');
    }
    const cookie = response.headers.get('X-Fallback-Cookies');
    if (cookie) {
      window.localStorage.setItem(fallbackKey, cookie);
    }

    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (err) {
        data = null;
      }
    }
    if (!response.ok) {
      const message = data && data.message ? data.message : 'HTTP status ' + response.status;
      const type = data && data.type ? data.type : 'http_' + response.status;
      throw new AppwriteError(message, response.status, type);
    }
    return data;
  }

  function setStatus(text) {
    const status = document.getElementById('status');
    status.textContent = text;
    status.hidden = text === '';
  }

  function show(id) {
    for (const section of ['signed-out', 'signed-in', 'failed']) {
      document.getElementById(section).hidden = section !== id;
    }
  }

  function showAccount(account) {
    document.getElementById('account-name').textContent = account.name || '(no name)';
    document.getElementById('account-email').textContent = account.email || '(no email)';
    document.getElementById('account-verified').textContent = account.emailVerification ? 'yes' : 'no';
    document.getElementById('account-id').textContent = account.$id;
    const labels = account.labels || [];
    document.getElementById('account-labels').textContent = labels.length ? labels.join(', ') : '(none)';
    setStatus('');
    show('signed-in');
  }

  function showFailure(code, description) {
    document.getElementById('error-code').textContent = code || 'unknown';
    document.getElementById('error-description').textContent = description || '';
    setStatus('');
    show('failed');
  }

  function showSignedOut() {
    setStatus('');
    show('signed-out');
  }

  // finishSignIn exchanges the custom token from the success URL for a
  // session, as account.createSession(userId, secret) does.
  async function finishSignIn() {
    const params = new URLSearchParams(window.location.search);
    const userId = params.get('userId');
    const secret = params.get('secret');
    // Drop the secret from the address bar and the history.
    window.history.replaceState(null, '', '/done');
    if (!userId || !secret) {
      showFailure('missing_token', 'The success URL carries no userId or secret.');
      return;
    }

    setStatus('Creating the Appwrite session…');
    try {
      await call('POST', '/account/sessions/token', { userId: userId, secret: secret });
      showAccount(await call('GET', '/account'));
    } catch (err) {
      showFailure(err.type, err.message);
    }
  }

  function showReturnedError() {
    const params = new URLSearchParams(window.location.search);
    showFailure(params.get('error'), params.get('error_description'));
  }

  async function showCurrentAccount() {
    try {
      showAccount(await call('GET', '/account'));
    } catch (err) {
      if (err.status === 401) {
        showSignedOut();
        return;
      }
      showFailure(err.type, err.message);
    }
  }

  async function signOut() {
    setStatus('Signing out…');
    try {
      await call('DELETE', '/account/sessions/current');
    } catch (err) {
      showFailure(err.type, err.message);
      return;
    }
    window.history.replaceState(null, '', '/');
    showSignedOut();
  }

  document.getElementById('sign-out').addEventListener('click', signOut);

  switch (window.location.pathname) {
    case '/done':
      finishSignIn();
      break;
    case '/failed':
      showReturnedError();
      break;
    default:
      showCurrentAccount();
  }
})();
