package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/cairn-id/cairn/internal/i18n"
	"github.com/cairn-id/cairn/internal/server"
)

// Languages are the languages of the messages a holder sees, in
// preference order of the fallback (English first).
var Languages = i18n.Languages

// MatchLanguage picks one of Languages for an Accept-Language value or a
// BCP 47 tag; ok is false when nothing in it matches (then "en").
func MatchLanguage(accept string) (lang string, ok bool) {
	return i18n.Match(strings.TrimSpace(accept))
}

// Error codes of the wallet API, beyond those of internal/server
// (invalid_request, not_found, method_not_allowed, rate_limited,
// too_large, unsupported_media_type, not_ready, internal_error).
const (
	CodeInvalidPIN         = "invalid_pin"
	CodeUnlockFailed       = "unlock_failed"
	CodeRecoveryCode       = "recovery_code_invalid"
	CodeLocked             = "locked"
	CodeUnauthorized       = "unauthorized"
	CodeSessionExpired     = "session_expired"
	CodeBusy               = "busy"
	CodeCredentialNotFound = "credential_not_found"
	CodeLogTampered        = "log_tampered"
	CodeExportInvalid      = "export_invalid"
	CodePassphrase         = "passphrase_wrong"
	CodeNotEmpty           = "wallet_not_empty"
	CodeInvalidLanguage    = "invalid_language"

	// Receiving and presenting.
	CodeOfferInvalid      = "offer_invalid"
	CodeTxCode            = "tx_code_wrong"
	CodeIssuerUntrusted   = "issuer_untrusted"
	CodeIssuance          = "issuance_failed"
	CodeCredentialInvalid = "credential_invalid"
	CodeRequestInvalid    = "request_invalid"
	CodeVerifierUnknown   = "verifier_unknown"
	CodeCannotAnswer      = "cannot_answer"
	CodeConsent           = "consent_invalid"
	CodeDelivery          = "delivery_failed"
	CodePreviewNotFound   = "preview_not_found"
)

// messages are what the holder's app may show for each code, in each of
// Languages. Messages with %d take the seconds to wait.
var messages = map[string]map[string]string{
	server.CodeInvalidRequest: {
		"en": "The request is not valid.",
		"fr": "La demande n'est pas valide.",
		"ar": "الطلب غير صالح.",
		"uk": "Запит недійсний.",
	},
	server.CodeNotFound: {
		"en": "Not found.",
		"fr": "Introuvable.",
		"ar": "غير موجود.",
		"uk": "Не знайдено.",
	},
	server.CodeMethodNotAllowed: {
		"en": "This action is not allowed here.",
		"fr": "Cette action n'est pas permise ici.",
		"ar": "هذا الإجراء غير مسموح به هنا.",
		"uk": "Ця дія тут не дозволена.",
	},
	server.CodeRateLimited: {
		"en": "Too many attempts from this network. Try again in %d seconds.",
		"fr": "Trop de tentatives depuis ce réseau. Réessayez dans %d secondes.",
		"ar": "محاولات كثيرة جدًا من هذه الشبكة. حاول مرة أخرى بعد %d ثانية.",
		"uk": "Забагато спроб із цієї мережі. Спробуйте ще раз через %d с.",
	},
	server.CodeTooLarge: {
		"en": "What was sent is too large.",
		"fr": "Ce qui a été envoyé est trop volumineux.",
		"ar": "ما تم إرساله كبير جدًا.",
		"uk": "Надіслані дані завеликі.",
	},
	server.CodeMediaType: {
		"en": "The request must be sent as JSON.",
		"fr": "La demande doit être envoyée en JSON.",
		"ar": "يجب إرسال الطلب بصيغة JSON.",
		"uk": "Запит потрібно надіслати у форматі JSON.",
	},
	server.CodeNotReady: {
		"en": "The wallet service is starting or unavailable. Try again later.",
		"fr": "Le service du portefeuille démarre ou est indisponible. Réessayez plus tard.",
		"ar": "خدمة المحفظة قيد التشغيل أو غير متاحة. حاول لاحقًا.",
		"uk": "Сервіс гаманця запускається або недоступний. Спробуйте пізніше.",
	},
	server.CodeInternal: {
		"en": "Something went wrong on the server. Your data is safe; try again later.",
		"fr": "Une erreur est survenue sur le serveur. Vos données sont en sécurité ; réessayez plus tard.",
		"ar": "حدث خطأ في الخادم. بياناتك آمنة؛ حاول لاحقًا.",
		"uk": "На сервері сталася помилка. Ваші дані в безпеці; спробуйте пізніше.",
	},
	CodeInvalidPIN: {
		"en": "A PIN has 4 to 8 digits.",
		"fr": "Un code PIN comporte de 4 à 8 chiffres.",
		"ar": "يتكون الرقم السري من 4 إلى 8 أرقام.",
		"uk": "PIN-код має від 4 до 8 цифр.",
	},
	CodeUnlockFailed: {
		"en": "The PIN is wrong, or this phone is not the one registered.",
		"fr": "Le code PIN est incorrect, ou ce téléphone n'est pas celui enregistré.",
		"ar": "الرقم السري خاطئ، أو أن هذا الهاتف ليس الهاتف المسجل.",
		"uk": "Неправильний PIN-код, або цей телефон не зареєстровано.",
	},
	CodeRecoveryCode: {
		"en": "The recovery code is wrong. Check each group of letters.",
		"fr": "Le code de récupération est incorrect. Vérifiez chaque groupe de lettres.",
		"ar": "رمز الاسترداد خاطئ. تحقق من كل مجموعة من الحروف.",
		"uk": "Неправильний код відновлення. Перевірте кожну групу літер.",
	},
	CodeLocked: {
		"en": "Too many wrong PINs. The wallet is locked; try again in %d seconds.",
		"fr": "Trop de codes PIN incorrects. Le portefeuille est verrouillé ; réessayez dans %d secondes.",
		"ar": "أرقام سرية خاطئة كثيرة جدًا. المحفظة مقفلة؛ حاول مرة أخرى بعد %d ثانية.",
		"uk": "Забагато неправильних PIN-кодів. Гаманець заблоковано; спробуйте через %d с.",
	},
	CodeUnauthorized: {
		"en": "Please unlock your wallet with your PIN.",
		"fr": "Veuillez déverrouiller votre portefeuille avec votre code PIN.",
		"ar": "يرجى فتح محفظتك باستخدام الرقم السري.",
		"uk": "Розблокуйте гаманець своїм PIN-кодом.",
	},
	CodeSessionExpired: {
		"en": "Your session has ended. Unlock your wallet again with your PIN.",
		"fr": "Votre session est terminée. Déverrouillez à nouveau votre portefeuille avec votre code PIN.",
		"ar": "انتهت جلستك. افتح محفظتك مرة أخرى باستخدام الرقم السري.",
		"uk": "Сеанс завершено. Знову розблокуйте гаманець PIN-кодом.",
	},
	CodeBusy: {
		"en": "The wallet service is busy. Try again in a minute.",
		"fr": "Le service du portefeuille est occupé. Réessayez dans une minute.",
		"ar": "خدمة المحفظة مشغولة. حاول مرة أخرى بعد دقيقة.",
		"uk": "Сервіс гаманця зайнятий. Спробуйте за хвилину.",
	},
	CodeCredentialNotFound: {
		"en": "This document is not in your wallet.",
		"fr": "Ce document n'est pas dans votre portefeuille.",
		"ar": "هذه الوثيقة ليست في محفظتك.",
		"uk": "Цього документа немає у вашому гаманці.",
	},
	CodeLogTampered: {
		"en": "Your history of shared information was changed by someone else. Contact support.",
		"fr": "L'historique de vos partages a été modifié par quelqu'un d'autre. Contactez l'assistance.",
		"ar": "تم تغيير سجل المعلومات التي شاركتها من قبل شخص آخر. اتصل بالدعم.",
		"uk": "Історію поширених вами даних змінив хтось інший. Зверніться до підтримки.",
	},
	CodeExportInvalid: {
		"en": "This file is not a wallet backup.",
		"fr": "Ce fichier n'est pas une sauvegarde de portefeuille.",
		"ar": "هذا الملف ليس نسخة احتياطية من المحفظة.",
		"uk": "Цей файл не є резервною копією гаманця.",
	},
	CodePassphrase: {
		"en": "The passphrase does not open this backup.",
		"fr": "La phrase secrète n'ouvre pas cette sauvegarde.",
		"ar": "عبارة المرور لا تفتح هذه النسخة الاحتياطية.",
		"uk": "Парольна фраза не відкриває цю резервну копію.",
	},
	CodeNotEmpty: {
		"en": "A backup can only be restored into an empty wallet.",
		"fr": "Une sauvegarde ne peut être restaurée que dans un portefeuille vide.",
		"ar": "لا يمكن استعادة النسخة الاحتياطية إلا في محفظة فارغة.",
		"uk": "Резервну копію можна відновити лише в порожній гаманець.",
	},
	CodeInvalidLanguage: {
		"en": "This language is not known.",
		"fr": "Cette langue n'est pas connue.",
		"ar": "هذه اللغة غير معروفة.",
		"uk": "Ця мова невідома.",
	},
}

func init() {
	for code, m := range flowMessages {
		messages[code] = m
	}
}

var flowMessages = map[string]map[string]string{
	CodeOfferInvalid: {
		"en": "This offer cannot be read or its issuer cannot be reached. Ask the issuer for a new one.",
		"fr": "Cette offre est illisible ou son émetteur est injoignable. Demandez-en une nouvelle à l'émetteur.",
		"ar": "لا يمكن قراءة هذا العرض أو الوصول إلى جهة الإصدار. اطلب عرضًا جديدًا من جهة الإصدار.",
		"uk": "Цю пропозицію неможливо прочитати або її видавець недоступний. Попросіть у видавця нову.",
	},
	CodeTxCode: {
		"en": "The transaction code is missing or wrong. Use the code the issuer gave you separately.",
		"fr": "Le code de transaction est absent ou incorrect. Utilisez le code que l'émetteur vous a donné à part.",
		"ar": "رمز المعاملة مفقود أو خاطئ. استخدم الرمز الذي أعطتك إياه جهة الإصدار بشكل منفصل.",
		"uk": "Код транзакції відсутній або неправильний. Використайте код, який видавець дав окремо.",
	},
	CodeIssuerUntrusted: {
		"en": "This issuer is not in the trust registry. Accept only if you know who they are.",
		"fr": "Cet émetteur n'est pas dans le registre de confiance. N'acceptez que si vous savez qui il est.",
		"ar": "جهة الإصدار هذه ليست في سجل الثقة. لا تقبل إلا إذا كنت تعرف من هي.",
		"uk": "Цього видавця немає в реєстрі довіри. Приймайте, лише якщо знаєте, хто це.",
	},
	CodeIssuance: {
		"en": "The issuer did not issue the document. Try again later or contact them.",
		"fr": "L'émetteur n'a pas délivré le document. Réessayez plus tard ou contactez-le.",
		"ar": "لم تُصدر جهة الإصدار الوثيقة. حاول لاحقًا أو اتصل بها.",
		"uk": "Видавець не видав документ. Спробуйте пізніше або зверніться до нього.",
	},
	CodeCredentialInvalid: {
		"en": "The document received did not pass the checks and was not kept.",
		"fr": "Le document reçu n'a pas passé les vérifications et n'a pas été conservé.",
		"ar": "لم تجتز الوثيقة المستلمة عمليات التحقق ولم يتم حفظها.",
		"uk": "Отриманий документ не пройшов перевірку і не був збережений.",
	},
	CodeRequestInvalid: {
		"en": "This request cannot be read or checked. Nothing was shared.",
		"fr": "Cette demande est illisible ou invérifiable. Rien n'a été partagé.",
		"ar": "لا يمكن قراءة هذا الطلب أو التحقق منه. لم تتم مشاركة أي شيء.",
		"uk": "Цей запит неможливо прочитати або перевірити. Нічого не передано.",
	},
	CodeVerifierUnknown: {
		"en": "Whoever asks is not a registered, active verifier. Nothing was shared.",
		"fr": "Le demandeur n'est pas un vérificateur enregistré et actif. Rien n'a été partagé.",
		"ar": "الجهة الطالبة ليست جهة تحقق مسجلة ونشطة. لم تتم مشاركة أي شيء.",
		"uk": "Запитувач не є зареєстрованим активним перевіряльником. Нічого не передано.",
	},
	CodeCannotAnswer: {
		"en": "Your wallet does not hold the documents this request asks for.",
		"fr": "Votre portefeuille ne contient pas les documents demandés.",
		"ar": "محفظتك لا تحتوي على الوثائق التي يطلبها هذا الطلب.",
		"uk": "У вашому гаманці немає документів, яких вимагає цей запит.",
	},
	CodeConsent: {
		"en": "You chose information the request does not ask for.",
		"fr": "Vous avez choisi des informations que la demande ne réclame pas.",
		"ar": "اخترت معلومات لا يطلبها هذا الطلب.",
		"uk": "Ви обрали дані, яких запит не вимагає.",
	},
	CodeDelivery: {
		"en": "The answer could not be delivered to the verifier. Try again.",
		"fr": "La réponse n'a pas pu être remise au vérificateur. Réessayez.",
		"ar": "تعذر إيصال الرد إلى جهة التحقق. حاول مرة أخرى.",
		"uk": "Не вдалося доставити відповідь перевіряльнику. Спробуйте ще раз.",
	},
	CodePreviewNotFound: {
		"en": "This offer or request has expired or was already answered. Scan it again.",
		"fr": "Cette offre ou demande a expiré ou a déjà reçu une réponse. Scannez-la à nouveau.",
		"ar": "انتهت صلاحية هذا العرض أو الطلب أو تم الرد عليه بالفعل. امسحه مرة أخرى.",
		"uk": "Ця пропозиція чи запит застарілі або на них уже відповіли. Відскануйте ще раз.",
	},
}

// Message returns the message of code in lang (one of Languages), in
// English when lang has none, and "" for an unknown code. retry fills the
// messages that say how long to wait.
func Message(code, lang string, retrySeconds int) string {
	m, ok := messages[code]
	if !ok {
		return ""
	}
	s, ok := m[lang]
	if !ok {
		s = m["en"]
	}
	if strings.Contains(s, "%d") {
		s = fmt.Sprintf(s, retrySeconds)
	}
	return s
}

// Codes lists every code with a message (for tests and the API document).
func Codes() []string {
	out := make([]string, 0, len(messages))
	for c := range messages {
		out = append(out, c)
	}
	return out
}

// statusOf is the HTTP status each of this package's codes is sent with.
var statusOf = map[string]int{
	CodeInvalidPIN:            http.StatusBadRequest,
	CodeUnlockFailed:          http.StatusUnauthorized,
	CodeRecoveryCode:          http.StatusUnauthorized,
	CodeLocked:                http.StatusLocked,
	server.CodeRateLimited:    http.StatusTooManyRequests,
	CodeUnauthorized:          http.StatusUnauthorized,
	CodeSessionExpired:        http.StatusUnauthorized,
	CodeBusy:                  http.StatusServiceUnavailable,
	CodeCredentialNotFound:    http.StatusNotFound,
	server.CodeNotFound:       http.StatusNotFound,
	CodeLogTampered:           http.StatusConflict,
	CodeExportInvalid:         http.StatusBadRequest,
	CodePassphrase:            http.StatusBadRequest,
	CodeNotEmpty:              http.StatusConflict,
	CodeInvalidLanguage:       http.StatusBadRequest,
	server.CodeInvalidRequest: http.StatusBadRequest,
	server.CodeInternal:       http.StatusInternalServerError,
	CodeOfferInvalid:          http.StatusBadRequest,
	CodeTxCode:                http.StatusBadRequest,
	CodeIssuerUntrusted:       http.StatusConflict,
	CodeIssuance:              http.StatusBadGateway,
	CodeCredentialInvalid:     http.StatusBadGateway,
	CodeRequestInvalid:        http.StatusBadRequest,
	CodeVerifierUnknown:       http.StatusForbidden,
	CodeCannotAnswer:          http.StatusConflict,
	CodeConsent:               http.StatusBadRequest,
	CodeDelivery:              http.StatusBadGateway,
	CodePreviewNotFound:       http.StatusNotFound,
}

// StatusOf is the HTTP status code is answered with (0 for the codes
// internal/server answers itself).
func StatusOf(code string) int { return statusOf[code] }
