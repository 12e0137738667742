# Long-form dates as the current site writes them: "October 27, 2023"; times on the 24-hour clock, as in
# Hong Kong and mainland China: "October 27, 2023, 09:00".
DATE_FORMAT = "F j, Y"
DATETIME_FORMAT = "F j, Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
