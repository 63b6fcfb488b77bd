// Package webclient is a tiny headless browser for tests and load tools: an
// HTTP client with a cookie jar that follows the provider's redirects but
// stops at the relying party's redirect URI, reads the HTML forms of a page
// (action, method, inputs with their autocomplete tokens, buttons), fills
// them and submits them. It runs no JavaScript and knows nothing of Foyer:
// it drives any provider whose pages are plain forms.
package webclient
