const response = await fetch("https://yourapp.portervisitors.com/api/v1/visitors", {
method: "GET",
headers: {
"X-API-Key": "your_api_key_here",
"Content-Type": "application/json",
},
});
const data = await response.json();
console.log(data.visitors);
