import { defineValueCheckExpectation } from './value-check-expectation.js'

// What dateutil.parser.parse accepts, approximately: a date in one of the common orders with
// optional time and zone, or a month name form ("Jan 01 1970 12:00:01").
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?'
const TIME = '(\\s*[T ]?\\s*\\d{1,2}(:\\d{2}){1,2}(\\.\\d+)?\\s*(am|pm)?)?\\s*(z|utc|[+-]\\d{2}:?\\d{2})?'
const FORMS = [
  new RegExp(`^\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}${TIME}$`, 'i'),
  new RegExp(`^\\d{1,2}[-/.]\\d{1,2}[-/.]\\d{2,4}${TIME}$`, 'i'),
  new RegExp(`^${MONTH}\\s+\\d{1,2}(st|nd|rd|th)?,?\\s+\\d{2,4}${TIME}$`, 'i'),
  new RegExp(`^\\d{1,2}\\s+${MONTH},?\\s+\\d{2,4}${TIME}$`, 'i'),
  new RegExp(`^\\d{8}(T\\d{4,6})?$`, 'i'),
]

/** Each value parses as a date/time the way Python's dateutil would (common written forms). */
export const expectColumnValuesToBeDateutilParseable = defineValueCheckExpectation({
  type: 'expect_column_values_to_be_dateutil_parseable',
  kwargs: {},
  check: () => (value) => FORMS.some((f) => f.test(value.trim())),
})
