// Once django-otp-webauthn's script has registered a passkey, go to the page
// that makes it count (and shows recovery codes if it is her first factor).
(function () {
  "use strict";
  var doneUrl = document.currentScript && document.currentScript.dataset.doneUrl;
  if (!doneUrl) return;
  document.addEventListener("otp_webauthn.register_complete", function () {
    window.location.assign(doneUrl);
  });
})();
