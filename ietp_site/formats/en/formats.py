# Long-form dates as the current site writes them: "October 27, 2023".
DATE_FORMAT = "F j, Y"
